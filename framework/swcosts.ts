/**
 * What cryptosoft's work costs in host CPU cycles, per host profile: per-request setup and cycles
 * per byte for every algorithm, the gather/scatter copies, IV generation, and the big-number
 * arithmetic of the keying operations. cryptosoft charges these to the running simulated thread;
 * the simulated timeline never depends on the host's speed or on which crypto backend
 * (OpenSSL or pure JS) computed the bytes — only on algorithms, lengths and key sizes.
 *
 * The figures model FreeBSD's *kernel* C code (sys/opencrypto/xform*.c, sys/crypto/*): FreeBSD 10's
 * cryptosoft used the table-based `rijndael-alg-fst.c` even on CPUs with AES-NI, which only the
 * separate aesni(4) driver used (reference/ocf.md §0, sys/crypto/aesni/aesni.c). No per-algorithm
 * cycle counts were ever published for that code, so every entry is an estimate; each says how it
 * was reasoned, usually from the algorithm's structure (rounds, table lookups per block) checked
 * against the order of magnitude of OpenSSL's `speed` figures of the time for the same CPU class,
 * whose C or assembler code is similar (the kernel code is C, so it is put somewhat slower).
 *
 * @example
 *   const cycles = swcrAlgCycles(AMD64_2015_SWCOSTS, CRYPTO_AES_CBC, 1500, 16); // setup + 1500 bytes
 */
import {
  CRYPTO_3DES_CBC,
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_192_NIST_GMAC,
  CRYPTO_AES_256_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_ICM,
  CRYPTO_AES_NIST_GCM_16,
  CRYPTO_AES_NIST_GMAC,
  CRYPTO_AES_XTS,
  CRYPTO_ARC4,
  CRYPTO_BLF_CBC,
  CRYPTO_CAMELLIA_CBC,
  CRYPTO_CAST_CBC,
  CRYPTO_DEFLATE_COMP,
  CRYPTO_DES_CBC,
  CRYPTO_MD5,
  CRYPTO_MD5_HMAC,
  CRYPTO_MD5_KPDK,
  CRYPTO_NULL_CBC,
  CRYPTO_NULL_HMAC,
  CRYPTO_RIPEMD160_HMAC,
  CRYPTO_SHA1,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA1_KPDK,
  CRYPTO_SHA2_256_HMAC,
  CRYPTO_SHA2_384_HMAC,
  CRYPTO_SHA2_512_HMAC,
  CRYPTO_SKIPJACK_CBC,
} from './constants.js';

/** The cost of one transform. */
export interface SwAlgCost {
  /**
   * Cycles per request before and after the bytes: context copies, finalisation (for a MAC, the
   * last inner block and the whole outer hash), per-request key schedule (ARC4), tweak or J0.
   */
  readonly setup: number;
  /** Cycles per byte processed; by key length in bytes where the round count depends on it. */
  readonly cpb: number | Readonly<Record<number, number>>;
  /** Cycles to build the per-session state (newsession, and again on CRD_F_KEY_EXPLICIT). */
  readonly keySetup: number;
  /** Where the figures come from. */
  readonly source: string;
}

/** Multi-precision arithmetic for the keying operations (CRK_*). */
export interface BignumCosts {
  /** Bits per machine word ("limb"). */
  readonly limbBits: number;
  /** Cycles per limb multiply-accumulate in the inner loop. */
  readonly mulAddCycles: number;
  /** Modular multiplications per exponent bit (squarings plus the window's share of multiplies). */
  readonly multsPerExponentBit: number;
  /** Per exponentiation: conversions, Montgomery set-up, table of odd powers. */
  readonly perExp: number;
  /** Per keying operation: parameter checks and copies, result conversion. */
  readonly perOp: number;
  readonly source: string;
}

export interface SoftwareCryptoCosts {
  readonly name: string;
  /** swcr_process's own work per request (session lookup under its lock, descriptor walk set-up). */
  readonly process: number;
  /** Per descriptor: finding its session state, the switch on the algorithm. */
  readonly descriptor: number;
  /** swcr_newsession / swcr_freesession without the key schedules (allocation, list links). */
  readonly newsession: number;
  readonly freesession: number;
  /** crypto_copydata / crypto_copyback of a region: per call and per byte. */
  readonly copyPerCall: number;
  readonly copyPerByte: number;
  /** arc4rand(9) for a generated IV: per call and per byte. */
  readonly ivPerCall: number;
  readonly ivPerByte: number;
  /** Per algorithm id; DEFLATE compression under CRYPTO_DEFLATE_COMP (per input byte). */
  readonly alg: Readonly<Record<number, SwAlgCost>>;
  /** DEFLATE decompression (per output byte). */
  readonly inflate: SwAlgCost;
  readonly bignum: BignumCosts;
  readonly sources: Readonly<Record<string, string>>;
}

/** Cycles for one request's use of `alg` over `len` bytes with a `keyBytes`-byte key. */
export function swcrAlgCycles(costs: SoftwareCryptoCosts, alg: number, len: number, keyBytes = 0): number {
  const c = costs.alg[alg];
  if (c === undefined) return 0;
  return c.setup + len * cpbFor(c, keyBytes);
}

/** Cycles per byte of an entry for a key of `keyBytes` (the largest listed size when not listed). */
export function cpbFor(c: SwAlgCost, keyBytes: number): number {
  if (typeof c.cpb === 'number') return c.cpb;
  const exact = c.cpb[keyBytes];
  if (exact !== undefined) return exact;
  const sizes = Object.keys(c.cpb).map(Number).sort((a, b) => a - b);
  const fit = sizes.find((s) => s >= keyBytes) ?? sizes[sizes.length - 1]!;
  return c.cpb[fit]!;
}

/** One modular multiplication (Montgomery, schoolbook: 2n² + n multiply-accumulates for n limbs). */
export function modmulCycles(b: BignumCosts, modBits: number): number {
  const n = Math.max(1, Math.ceil(modBits / b.limbBits));
  return (2 * n * n + n) * b.mulAddCycles;
}

/** One modular exponentiation with a `expBits`-bit exponent. */
export function modexpCycles(b: BignumCosts, modBits: number, expBits: number): number {
  return b.perExp + Math.max(1, expBits) * b.multsPerExponentBit * modmulCycles(b, modBits);
}

/** One modular inverse (binary extended Euclid: about 2 x bits iterations over n limbs). */
export function modinvCycles(b: BignumCosts, bits: number): number {
  const n = Math.max(1, Math.ceil(bits / b.limbBits));
  return 2 * Math.max(1, bits) * n * b.mulAddCycles;
}

/** HMAC setup: copy two contexts, finish the inner hash, hash the outer block (2 blocks). */
function hmacSetup(cpb: number, block: number): number {
  return 100 + 2 * block * cpb;
}

/**
 * A 2.4 GHz amd64 server core of about 2015 (Haswell-class Xeon E5 v3) running FreeBSD 10/11's
 * C transforms. AES figures are for table-based software AES (no AES-NI), as cryptosoft ran it.
 */
export const AMD64_2015_SWCOSTS: SoftwareCryptoCosts = {
  name: 'amd64-2015',
  process: 200,
  descriptor: 60,
  newsession: 400,
  freesession: 250,
  copyPerCall: 30,
  copyPerByte: 1,
  ivPerCall: 100,
  ivPerByte: 10,
  alg: {
    [CRYPTO_DES_CBC]: {
      setup: 80, cpb: 32, keySetup: 1500,
      source: 'estimate: libdes-style C DES, ~250 cycles per 8-byte block (16 rounds x 8 S-box lookups) plus the CBC xor; the order of OpenSSL 1.0.x `speed des-cbc` (~75 MB/s at 2.4 GHz)',
    },
    [CRYPTO_3DES_CBC]: {
      setup: 80, cpb: 90, keySetup: 4500,
      source: 'estimate: three DES passes per block (3 x 32 cycles/byte less shared IP/FP work)',
    },
    [CRYPTO_BLF_CBC]: {
      setup: 80, cpb: 20, keySetup: 85_000,
      source: 'estimate: 16 rounds x 4 S-box lookups per 8-byte block (~150 cycles); the key schedule encrypts 521 blocks (521 x 8 x 20)',
    },
    [CRYPTO_CAST_CBC]: {
      setup: 80, cpb: 22, keySetup: 2500,
      source: 'estimate: 16 rounds x 4 S-box lookups plus rotations per 8-byte block, like Blowfish; key schedule of 32 subkeys',
    },
    [CRYPTO_SKIPJACK_CBC]: {
      setup: 80, cpb: 45, keySetup: 5000,
      source: 'estimate: 32 rounds of the G permutation (4 byte-table lookups each) per 8-byte block with 16-bit words; FreeBSD precomputes 10 key-dependent 256-byte F tables per session',
    },
    [CRYPTO_AES_CBC]: {
      setup: 80, cpb: { 16: 20, 24: 24, 32: 28 }, keySetup: 1000,
      source: 'estimate: table-based rijndael-alg-fst.c (4 T-table lookups per column per round), 10/12/14 rounds; the order of OpenSSL\'s non-AES-NI x86_64 code (~13-19 cycles/byte for AES-128, crypto/aes/asm/aes-x86_64.pl) plus a C-compiler penalty; key setup builds the encrypt and decrypt schedules',
    },
    [CRYPTO_CAMELLIA_CBC]: {
      setup: 80, cpb: { 16: 25, 24: 33, 32: 33 }, keySetup: 1200,
      source: 'estimate: 18 rounds (24 for 192/256-bit keys) with 8 S-box lookups per round per 16-byte block, FL layers; a little slower than table AES',
    },
    [CRYPTO_AES_XTS]: {
      setup: 400, cpb: { 32: 21, 64: 29 }, keySetup: 2000,
      source: 'estimate: AES-128/256 per block plus one GF(2^128) doubling (~16 cycles per block); setup encrypts the tweak; two key schedules',
    },
    [CRYPTO_AES_ICM]: {
      setup: 80, cpb: { 16: 21, 24: 25, 32: 29 }, keySetup: 400,
      source: 'estimate: one AES block encryption per 16 bytes of counter plus the byte-wise xor of xform_aes_icm.c; encrypt-only key schedule',
    },
    [CRYPTO_ARC4]: {
      setup: 1300, cpb: 7, keySetup: 50,
      source: 'estimate: RC4 PRGA in C, ~7 cycles per byte (OpenSSL\'s assembler reached ~5); every request runs the 256-step key schedule again (no IV), ~1300 cycles',
    },
    [CRYPTO_NULL_CBC]: { setup: 0, cpb: 0, keySetup: 0, source: 'no work: swcr_process completes NULL_CBC without touching the data' },
    [CRYPTO_MD5_HMAC]: {
      setup: hmacSetup(6.5, 64), cpb: 6.5, keySetup: hmacSetup(6.5, 64),
      source: 'estimate: C MD5 ~6.5 cycles/byte (OpenSSL md5-x86_64 assembler ~5); HMAC adds two compression blocks per request and at key setup',
    },
    [CRYPTO_SHA1_HMAC]: {
      setup: hmacSetup(9, 64), cpb: 9, keySetup: hmacSetup(9, 64),
      source: 'estimate: KAME sha1.c in C ~9 cycles/byte (OpenSSL 1.0.2 SSSE3/AVX assembler ~5 on Haswell); two extra blocks per request',
    },
    [CRYPTO_RIPEMD160_HMAC]: {
      setup: hmacSetup(14, 64), cpb: 14, keySetup: hmacSetup(14, 64),
      source: 'estimate: RIPEMD-160 runs two parallel 80-step lines, ~1.5x SHA-1 in C',
    },
    [CRYPTO_SHA2_256_HMAC]: {
      setup: hmacSetup(17, 64), cpb: 17, keySetup: hmacSetup(17, 64),
      source: 'estimate: C SHA-256 ~17 cycles/byte (OpenSSL assembler 11-13 on 2015 cores); two extra blocks per request',
    },
    [CRYPTO_SHA2_384_HMAC]: {
      setup: hmacSetup(12, 128), cpb: 12, keySetup: hmacSetup(12, 128),
      source: 'estimate: C SHA-512 core on 64-bit words ~12 cycles/byte; 128-byte blocks',
    },
    [CRYPTO_SHA2_512_HMAC]: {
      setup: hmacSetup(12, 128), cpb: 12, keySetup: hmacSetup(12, 128),
      source: 'estimate: as SHA2-384 (same compression function)',
    },
    [CRYPTO_NULL_HMAC]: { setup: 50, cpb: 0, keySetup: 0, source: 'estimate: writes a zero digest' },
    [CRYPTO_MD5_KPDK]: {
      setup: 100 + 2 * 64 * 6.5, cpb: 6.5, keySetup: 100 + 64 * 6.5,
      source: 'estimate: MD5 as MD5-HMAC; per request the trailing key and final padding (up to two blocks), at key setup the key || fill block',
    },
    [CRYPTO_SHA1_KPDK]: {
      setup: 100 + 2 * 64 * 9, cpb: 9, keySetup: 100 + 64 * 9,
      source: 'estimate: SHA-1 as SHA1-HMAC; trailing key and padding per request',
    },
    [CRYPTO_MD5]: { setup: 50 + 64 * 6.5, cpb: 6.5, keySetup: 0, source: 'estimate: MD5 as MD5-HMAC; one final block per request' },
    [CRYPTO_SHA1]: { setup: 50 + 64 * 9, cpb: 9, keySetup: 0, source: 'estimate: SHA-1 as SHA1-HMAC; one final block per request' },
    [CRYPTO_AES_NIST_GCM_16]: {
      setup: 900, cpb: { 16: 33, 24: 37, 32: 41 }, keySetup: 400,
      source: 'estimate: counter-mode table AES (as AES-ICM) plus GHASH with FreeBSD 11\'s 4-bit-table gf128 multiply (~12 cycles/byte); setup encrypts J0 and hashes the length block',
    },
    [CRYPTO_AES_NIST_GMAC]: { setup: 0, cpb: 0, keySetup: 0, source: 'no work of its own: the cipher side of GMAC has no data and no key schedule (ocf.md §3.5)' },
    [CRYPTO_AES_128_NIST_GMAC]: {
      setup: 100, cpb: 12, keySetup: 2000,
      source: 'estimate: GHASH of the AAD with the 4-bit-table multiply (~12 cycles/byte); key setup computes H = AES(K, 0) and the multiplication table',
    },
    [CRYPTO_AES_192_NIST_GMAC]: { setup: 100, cpb: 12, keySetup: 2100, source: 'estimate: as AES-128-GMAC' },
    [CRYPTO_AES_256_NIST_GMAC]: { setup: 100, cpb: 12, keySetup: 2200, source: 'estimate: as AES-128-GMAC' },
    [CRYPTO_DEFLATE_COMP]: {
      setup: 25_000, cpb: 60, keySetup: 0,
      source: 'estimate: zlib deflate level 6 with a 4 KiB window, ~40 MB/s of input at 2.4 GHz on mixed data; setup = deflateInit2 (zeroing the 64 KiB hash table) and FreeBSD\'s output buffer allocation',
    },
  },
  inflate: {
    setup: 5000, cpb: 8, keySetup: 0,
    source: 'estimate: zlib inflate ~300 MB/s of output at 2.4 GHz; setup = inflateInit2 and the 32 KiB window',
  },
  bignum: {
    limbBits: 64,
    mulAddCycles: 2.5,
    multsPerExponentBit: 1.17,
    perExp: 3000,
    perOp: 2000,
    source: 'estimate: C multi-precision code with 64-bit limbs, Montgomery multiplication (2n^2 + n multiply-accumulates of ~2.5 cycles), 5-bit sliding window (1 squaring + 1/6 multiply per exponent bit). Gives RSA-2048 with CRT ~3.2 M cycles = 1.3 ms at 2.4 GHz, the order of OpenSSL 1.0.x `speed rsa2048` sign on a 2015 Xeon core',
  },
  sources: {
    process: 'estimate: an rwlock read, the session-array lookup and the descriptor loop of swcr_process',
    copies: 'estimate: stands in for swcr_encdec\'s in-place walk (cuio_getptr per block, a bounce block where one straddles segments, byte-wise IV xor): ~1 cycle/byte to gather the region and ~1 to scatter it back',
    iv: 'estimate: arc4rand(9) RC4 keystream, ~10 cycles/byte plus the call',
  },
};

/**
 * A 2.4 GHz Pentium 4 (Northwood, 2003) running 32-bit FreeBSD 4/5 C transforms: no AES
 * instructions, slow shifts and rotates (SHA-1, SHA-2), 64-bit arithmetic emulated on 32-bit
 * registers (SHA-384/512), 32-bit bignum limbs. Used by the Machine host profile 'p4-2003'.
 */
export const PENTIUM4_2003_SWCOSTS: SoftwareCryptoCosts = {
  ...AMD64_2015_SWCOSTS,
  name: 'pentium4-2003',
  process: 300,
  descriptor: 90,
  newsession: 600,
  freesession: 400,
  copyPerCall: 50,
  copyPerByte: 1.5,
  ivPerCall: 150,
  ivPerByte: 14,
  alg: {
    ...AMD64_2015_SWCOSTS.alg,
    [CRYPTO_DES_CBC]: { setup: 120, cpb: 50, keySetup: 2500, source: 'estimate: the order of OpenSSL 0.9.7 `speed des-cbc` on a 2.4 GHz P4 (~45 MB/s)' },
    [CRYPTO_3DES_CBC]: { setup: 120, cpb: 145, keySetup: 7500, source: 'estimate: three DES passes' },
    [CRYPTO_BLF_CBC]: { setup: 120, cpb: 32, keySetup: 135_000, source: 'estimate: P4 load-use latency on the S-box lookups; 521-block key schedule' },
    [CRYPTO_CAST_CBC]: { setup: 120, cpb: 38, keySetup: 4000, source: 'estimate: as Blowfish plus rotations (slow on the P4)' },
    [CRYPTO_SKIPJACK_CBC]: { setup: 120, cpb: 60, keySetup: 7000, source: 'estimate: 32 rounds of byte-table lookups with 16-bit words' },
    [CRYPTO_AES_CBC]: { setup: 120, cpb: { 16: 32, 24: 38, 32: 44 }, keySetup: 1600, source: 'estimate: table AES, ~30 cycles/byte class for AES-128 on a P4 (the order of OpenSSL 0.9.7 aes-586)' },
    [CRYPTO_CAMELLIA_CBC]: { setup: 120, cpb: { 16: 40, 24: 53, 32: 53 }, keySetup: 2000, source: 'estimate: 18/24 rounds, a little slower than table AES' },
    [CRYPTO_AES_XTS]: { setup: 600, cpb: { 32: 34, 64: 46 }, keySetup: 3200, source: 'estimate: AES plus the GF(2^128) doubling on 32-bit words' },
    [CRYPTO_AES_ICM]: { setup: 120, cpb: { 16: 33, 24: 39, 32: 45 }, keySetup: 700, source: 'estimate: AES per counter block plus the xor' },
    [CRYPTO_ARC4]: { setup: 2500, cpb: 12, keySetup: 80, source: 'estimate: byte-wise RC4 suffers partial-register stalls on the P4' },
    [CRYPTO_MD5_HMAC]: { setup: hmacSetup(9, 64), cpb: 9, keySetup: hmacSetup(9, 64), source: 'estimate: C MD5 on a P4' },
    [CRYPTO_SHA1_HMAC]: { setup: hmacSetup(20, 64), cpb: 20, keySetup: hmacSetup(20, 64), source: 'estimate: SHA-1 rotates are slow on the P4 (~20 cycles/byte)' },
    [CRYPTO_RIPEMD160_HMAC]: { setup: hmacSetup(25, 64), cpb: 25, keySetup: hmacSetup(25, 64), source: 'estimate: two lines of rotates' },
    [CRYPTO_SHA2_256_HMAC]: { setup: hmacSetup(45, 64), cpb: 45, keySetup: hmacSetup(45, 64), source: 'estimate: C SHA-256 on a P4' },
    [CRYPTO_SHA2_384_HMAC]: { setup: hmacSetup(110, 128), cpb: 110, keySetup: hmacSetup(110, 128), source: 'estimate: 64-bit words on 32-bit registers' },
    [CRYPTO_SHA2_512_HMAC]: { setup: hmacSetup(110, 128), cpb: 110, keySetup: hmacSetup(110, 128), source: 'estimate: as SHA2-384' },
    [CRYPTO_MD5_KPDK]: { setup: 150 + 2 * 64 * 9, cpb: 9, keySetup: 150 + 64 * 9, source: 'estimate: as MD5-HMAC' },
    [CRYPTO_SHA1_KPDK]: { setup: 150 + 2 * 64 * 20, cpb: 20, keySetup: 150 + 64 * 20, source: 'estimate: as SHA1-HMAC' },
    [CRYPTO_MD5]: { setup: 80 + 64 * 9, cpb: 9, keySetup: 0, source: 'estimate: as MD5-HMAC' },
    [CRYPTO_SHA1]: { setup: 80 + 64 * 20, cpb: 20, keySetup: 0, source: 'estimate: as SHA1-HMAC' },
    [CRYPTO_AES_NIST_GCM_16]: { setup: 1500, cpb: { 16: 63, 24: 69, 32: 75 }, keySetup: 700, source: 'estimate: counter AES plus a 4-bit-table GHASH on 32-bit words (~30 cycles/byte)' },
    [CRYPTO_AES_128_NIST_GMAC]: { setup: 150, cpb: 30, keySetup: 3500, source: 'estimate: GHASH on 32-bit words' },
    [CRYPTO_AES_192_NIST_GMAC]: { setup: 150, cpb: 30, keySetup: 3700, source: 'estimate: as AES-128-GMAC' },
    [CRYPTO_AES_256_NIST_GMAC]: { setup: 150, cpb: 30, keySetup: 3900, source: 'estimate: as AES-128-GMAC' },
    [CRYPTO_DEFLATE_COMP]: { setup: 40_000, cpb: 90, keySetup: 0, source: 'estimate: zlib level 6 on a P4, ~25 MB/s' },
  },
  inflate: { setup: 8000, cpb: 12, keySetup: 0, source: 'estimate: zlib inflate ~200 MB/s on a P4' },
  bignum: {
    limbBits: 32,
    mulAddCycles: 7,
    multsPerExponentBit: 1.17,
    perExp: 5000,
    perOp: 3000,
    source: 'estimate: 32-bit limbs, Montgomery multiplication, ~7 cycles per multiply-accumulate on the P4 (mul latency, carry chains); RSA-1024 with CRT ~4.4 M cycles = 1.8 ms at 2.4 GHz',
  },
};
