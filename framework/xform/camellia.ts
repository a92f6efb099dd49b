/**
 * Camellia, RFC 3713 — the block transform behind OCF's `CRYPTO_CAMELLIA_CBC`.
 *
 * 128-bit blocks and 128/192/256-bit keys (§1.1); 18 rounds for 128-bit keys (§2.3.1), 24 for
 * 192- and 256-bit keys (§2.3.2). The data path is a Feistel network whose F-function (§2.4.1) is
 * an S-layer of four 8x8 S-boxes (§2.4.3) followed by the byte-mixing P-function, with FL / FL^-1
 * layers (§2.4.2) after every six rounds. The key schedule (§2.2) derives KA and KB from the key
 * through four or six F-function rounds keyed by the constants Sigma1..Sigma6 and takes the
 * subkeys as fixed rotations of KL, KR, KA, KB (the two subkey tables of §2.2).
 *
 * Deliberate difference from ocf.md §1.4: FreeBSD's header allows Camellia keys of 8..32 bytes, but
 * Camellia itself is only defined for 128/192/256-bit keys (RFC 3713 §1.1), so every other length
 * is rejected with a RangeError. FreeBSD's cryptosoft does the same in practice: `cml_setkey` in
 * sys/opencrypto/xform.c returns EINVAL unless the key is 16, 24 or 32 bytes.
 *
 * Implementation: the S-layer and P-function are folded into eight 256-entry word tables built at
 * load time from SBOX1, so one F-function costs eight table look-ups and a rotation (derivation in
 * `buildTables`). The decryption key schedule is the encryption one in reverse (§2.3.3), laid out
 * so that one routine serves both directions.
 *
 * @example
 *   const c = new CamelliaCipher(hex('0123456789abcdeffedcba9876543210'));
 *   c.encryptBlock(block, 0, block, 0);
 *   c.wipe();
 */
import type { BlockCipher } from './block.js';

// RFC 3713 §2.4.3, SBOX1 (the RFC lists it in decimal; here in hex, row-major, 16 per row). The bytes
// were read out of the copy of this table in the OpenSSL linked into Node (not transcribed by hand),
// compared with the RFC's first and last rows, and are checked end to end by the Appendix A vectors.
const SBOX1 = Uint8Array.from(
  `70 82 2c ec b3 27 c0 e5 e4 85 57 35 ea 0c ae 41
   23 ef 6b 93 45 19 a5 21 ed 0e 4f 4e 1d 65 92 bd
   86 b8 af 8f 7c eb 1f ce 3e 30 dc 5f 5e c5 0b 1a
   a6 e1 39 ca d5 47 5d 3d d9 01 5a d6 51 56 6c 4d
   8b 0d 9a 66 fb cc b0 2d 74 12 2b 20 f0 b1 84 99
   df 4c cb c2 34 7e 76 05 6d b7 a9 31 d1 17 04 d7
   14 58 3a 61 de 1b 11 1c 32 0f 9c 16 53 18 f2 22
   fe 44 cf b2 c3 b5 7a 91 24 08 e8 a8 60 fc 69 50
   aa d0 a0 7d a1 89 62 97 54 5b 1e 95 e0 ff 64 d2
   10 c4 00 48 a3 f7 75 db 8a 03 e6 da 09 3f dd 94
   87 5c 83 02 cd 4a 90 33 73 67 f6 f3 9d 7f bf e2
   52 9b d8 26 c8 37 c6 3b 81 96 6f 4b 13 be 63 2e
   e9 79 a7 8c 9f 6e bc 8e 29 f5 f9 b6 2f fd b4 59
   78 98 06 6a e7 46 71 ba d4 25 ab 42 88 a2 8d fa
   72 07 b9 55 f8 ee ac 0a 36 49 2a 68 3c 38 f1 a4
   40 28 d3 7b bb c9 43 c1 15 e3 ad f4 77 c7 80 9e`
    .trim()
    .split(/\s+/)
    .map((h) => Number.parseInt(h, 16)),
);

// RFC 3713 §2.2: Sigma1..Sigma6 as (high word, low word) pairs.
const SIGMA = Uint32Array.of(
  0xa09e667f, 0x3bcc908b,
  0xb67ae858, 0x4caa73b2,
  0xc6ef372f, 0xe94f82be,
  0x54ff53a5, 0xf1d36f1c,
  0x10e527fa, 0xde682d1d,
  0xb05688c2, 0xb3e6c1fd,
);

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));
const rotl8bit = (x: number, n: number): number => ((x << n) | (x >>> (8 - n))) & 0xff;

/**
 * F-function tables. With t1..t8 the S-box outputs (§2.4.1: t1 = SBOX1[x1], t2 = SBOX2[x2],
 * t3 = SBOX3[x3], t4 = SBOX4[x4], t5 = SBOX2[x5], t6 = SBOX3[x6], t7 = SBOX4[x7], t8 = SBOX1[x8])
 * the P-function outputs are, as 32-bit words with y1 / y5 in the top byte,
 *   U  = (t2^t3^t4, t1^t3^t4, t1^t2^t4, t1^t2^t3)      from the left input word x1..x4
 *   V  = (t6^t7^t8, t5^t7^t8, t5^t6^t8, t5^t6^t7)      from the right input word x5..x8
 *   y1..y4 = rotl8(U) ^ V                             (e.g. y1 = t1^t3^t4^t6^t7^t8)
 *   y5..y8 = y1..y4 ^ U                               (e.g. y5 = t1^t2^t6^t7^t8)
 * Each t contributes its byte to three of the four positions of U or V, so U and V are each the
 * XOR of four table look-ups holding the S-box byte replicated into the right three positions.
 */
function buildTables(): Uint32Array[] {
  const s1 = (x: number): number => SBOX1[x]!;
  const s2 = (x: number): number => rotl8bit(s1(x), 1);
  const s3 = (x: number): number => rotl8bit(s1(x), 7);
  const s4 = (x: number): number => s1(rotl8bit(x, 1));
  const spread = (sbox: (x: number) => number, pattern: number): Uint32Array => {
    const t = new Uint32Array(256);
    for (let x = 0; x < 256; x++) t[x] = Math.imul(sbox(x), pattern);
    return t;
  };
  // Byte positions (top byte first) each t lands in: 0111, 1011, 1101, 1110.
  return [
    spread(s1, 0x00010101), spread(s2, 0x01000101), spread(s3, 0x01010001), spread(s4, 0x01010100), // U
    spread(s2, 0x00010101), spread(s3, 0x01000101), spread(s4, 0x01010001), spread(s1, 0x01010100), // V
  ];
}
const [U1, U2, U3, U4, V5, V6, V7, V8] = buildTables() as [
  Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
];

/** U of the F-function for the (already keyed) left word x1..x4. */
function fU(x: number): number {
  return U1[x >>> 24]! ^ U2[(x >>> 16) & 0xff]! ^ U3[(x >>> 8) & 0xff]! ^ U4[x & 0xff]!;
}
/** V of the F-function for the (already keyed) right word x5..x8. */
function fV(x: number): number {
  return V5[x >>> 24]! ^ V6[(x >>> 16) & 0xff]! ^ V7[(x >>> 8) & 0xff]! ^ V8[x & 0xff]!;
}

/** `out[o..o+1] ^= F((xh, xl), (kh, kl))` — the key-schedule form of the F-function. */
function xorF(xh: number, xl: number, kh: number, kl: number, out: Uint32Array, o: number): void {
  const u = fU(xh ^ kh);
  const yl = rotl(u, 8) ^ fV(xl ^ kl);
  out[o] = out[o]! ^ yl;
  out[o + 1] = out[o + 1]! ^ yl ^ u;
}

// ---- Key schedule, RFC 3713 §2.2 ----

const KL = 0, KR = 1, KA = 2, KB = 3;
/** One 64-bit subkey: the left (0) or right (1) half of `source <<< rotation`. */
type Subkey = readonly [source: number, rotation: number, half: 0 | 1];
interface Schedule { kw: readonly Subkey[]; k: readonly Subkey[]; ke: readonly Subkey[] }

/** The §2.2 subkey table for 128-bit keys (kw1..kw4, k1..k18, ke1..ke4). */
const SCHEDULE_128: Schedule = {
  kw: [[KL, 0, 0], [KL, 0, 1], [KA, 111, 0], [KA, 111, 1]],
  k: [
    [KA, 0, 0], [KA, 0, 1], [KL, 15, 0], [KL, 15, 1], [KA, 15, 0], [KA, 15, 1],
    [KL, 45, 0], [KL, 45, 1], [KA, 45, 0], [KL, 60, 1], [KA, 60, 0], [KA, 60, 1],
    [KL, 94, 0], [KL, 94, 1], [KA, 94, 0], [KA, 94, 1], [KL, 111, 0], [KL, 111, 1],
  ],
  ke: [[KA, 30, 0], [KA, 30, 1], [KL, 77, 0], [KL, 77, 1]],
};

/** The §2.2 subkey table for 192- and 256-bit keys (kw1..kw4, k1..k24, ke1..ke6). */
const SCHEDULE_256: Schedule = {
  kw: [[KL, 0, 0], [KL, 0, 1], [KB, 111, 0], [KB, 111, 1]],
  k: [
    [KB, 0, 0], [KB, 0, 1], [KR, 15, 0], [KR, 15, 1], [KA, 15, 0], [KA, 15, 1],
    [KB, 30, 0], [KB, 30, 1], [KL, 45, 0], [KL, 45, 1], [KA, 45, 0], [KA, 45, 1],
    [KR, 60, 0], [KR, 60, 1], [KB, 60, 0], [KB, 60, 1], [KL, 77, 0], [KL, 77, 1],
    [KR, 94, 0], [KR, 94, 1], [KA, 94, 0], [KA, 94, 1], [KL, 111, 0], [KL, 111, 1],
  ],
  ke: [[KR, 30, 0], [KR, 30, 1], [KL, 60, 0], [KL, 60, 1], [KA, 77, 0], [KA, 77, 1]],
};

/** Word `i` (0 = most significant) of the 128-bit value `w` rotated left by `n` bits. */
function rotatedWord(w: Uint32Array, n: number, i: number): number {
  const q = n >>> 5, r = n & 31;
  const a = w[(i + q) & 3]!;
  return r === 0 ? a : rotlPair(a, w[(i + q + 1) & 3]!, r);
}
const rotlPair = (a: number, b: number, r: number): number => ((a << r) | (b >>> (32 - r))) >>> 0;

/**
 * Builds the subkeys in the order the data path consumes them:
 *   kwA(2) | for each 6-round group g: [ke for FL, ke for FL^-1 when g > 0] k(6) | kwB(2)
 * (each entry two words). Encryption uses kw1,kw2 / ke1.. / k1.. / kw3,kw4; decryption uses
 * kw3,kw4 / the ke and k sequences reversed / kw1,kw2 (§2.3.3).
 */
function layout(src: readonly Uint32Array[], s: Schedule, decrypt: boolean, out: Uint32Array): void {
  let p = 0;
  const put = (sk: Subkey | undefined): void => {
    if (!sk) throw new Error('camellia: subkey table too short');
    const [from, rot, half] = sk;
    const w = src[from]!;
    out[p++] = rotatedWord(w, rot, 2 * half);
    out[p++] = rotatedWord(w, rot, 2 * half + 1);
  };
  const nk = s.k.length, nke = s.ke.length;
  const k = (i: number): Subkey | undefined => s.k[decrypt ? nk - 1 - i : i];
  const ke = (i: number): Subkey | undefined => s.ke[decrypt ? nke - 1 - i : i];
  put(s.kw[decrypt ? 2 : 0]);
  put(s.kw[decrypt ? 3 : 1]);
  for (let g = 0; g < nk / 6; g++) {
    if (g > 0) {
      put(ke(2 * g - 2));
      put(ke(2 * g - 1));
    }
    for (let r = 0; r < 6; r++) put(k(6 * g + r));
  }
  put(s.kw[decrypt ? 0 : 2]);
  put(s.kw[decrypt ? 1 : 3]);
}

function readU32BE(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}
function writeU32BE(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

function checkBlock(fn: string, buf: Uint8Array, off: number): void {
  if (!Number.isInteger(off) || off < 0 || off + 16 > buf.length) {
    throw new RangeError(`CamelliaCipher.${fn}: no 16-byte block at offset ${off} of a ${buf.length}-byte buffer`);
  }
}

/**
 * Camellia with a 128-, 192- or 256-bit key (RFC 3713).
 *
 * @example
 *   const c = new CamelliaCipher(key32);
 *   c.encryptBlock(buf, 0, buf, 0);
 *   c.decryptBlock(buf, 0, buf, 0);
 *   c.wipe();
 */
export class CamelliaCipher implements BlockCipher {
  static readonly blockSize = 16;
  readonly blockSize = 16;
  /** 18 for 128-bit keys, 24 for 192/256-bit keys (§2.3.1, §2.3.2). */
  readonly rounds: 18 | 24;
  private readonly encKeys: Uint32Array;
  private readonly decKeys: Uint32Array;
  private wiped = false;

  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
      throw new RangeError(
        `CamelliaCipher: key must be 16, 24 or 32 bytes (128/192/256 bits, RFC 3713 §1.1), got ${key.length}` +
          ' (FreeBSD\'s header range of 8..32 bytes is wider than the algorithm allows)',
      );
    }
    this.rounds = key.length === 16 ? 18 : 24;
    const s = key.length === 16 ? SCHEDULE_128 : SCHEDULE_256;
    // Words of the subkeys: kw (4 x 2) + k (rounds x 2) + ke (4 per FL layer).
    const size = 8 + 2 * this.rounds + 4 * (this.rounds / 6 - 1);
    this.encKeys = new Uint32Array(size);
    this.decKeys = new Uint32Array(size);

    // KL, KR (§2.2): KR is 0 for 128-bit keys, K[128..191] || ~K[128..191] for 192-bit keys.
    const kl = new Uint32Array(4), kr = new Uint32Array(4), ka = new Uint32Array(4), kb = new Uint32Array(4);
    for (let i = 0; i < 4; i++) kl[i] = readU32BE(key, 4 * i);
    if (key.length === 24) {
      kr[0] = readU32BE(key, 16);
      kr[1] = readU32BE(key, 20);
      kr[2] = ~kr[0]!;
      kr[3] = ~kr[1]!;
    } else if (key.length === 32) {
      for (let i = 0; i < 4; i++) kr[i] = readU32BE(key, 16 + 4 * i);
    }
    // KA: D1 || D2 from KL ^ KR through Sigma1..Sigma4, with KL folded back in half way.
    for (let i = 0; i < 4; i++) ka[i] = kl[i]! ^ kr[i]!;
    xorF(ka[0]!, ka[1]!, SIGMA[0]!, SIGMA[1]!, ka, 2);
    xorF(ka[2]!, ka[3]!, SIGMA[2]!, SIGMA[3]!, ka, 0);
    for (let i = 0; i < 4; i++) ka[i] = ka[i]! ^ kl[i]!;
    xorF(ka[0]!, ka[1]!, SIGMA[4]!, SIGMA[5]!, ka, 2);
    xorF(ka[2]!, ka[3]!, SIGMA[6]!, SIGMA[7]!, ka, 0);
    // KB (192/256-bit keys only): KA ^ KR through Sigma5, Sigma6.
    if (key.length !== 16) {
      for (let i = 0; i < 4; i++) kb[i] = ka[i]! ^ kr[i]!;
      xorF(kb[0]!, kb[1]!, SIGMA[8]!, SIGMA[9]!, kb, 2);
      xorF(kb[2]!, kb[3]!, SIGMA[10]!, SIGMA[11]!, kb, 0);
    }
    const sources = [kl, kr, ka, kb];
    layout(sources, s, false, this.encKeys);
    layout(sources, s, true, this.decKeys);
    for (const w of sources) w.fill(0);
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    if (this.wiped) throw new Error('CamelliaCipher.encryptBlock: cipher used after wipe()');
    this.crypt(this.encKeys, src, srcOff, dst, dstOff, 'encryptBlock');
  }

  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    if (this.wiped) throw new Error('CamelliaCipher.decryptBlock: cipher used after wipe()');
    this.crypt(this.decKeys, src, srcOff, dst, dstOff, 'decryptBlock');
  }

  /** Zeroes both subkey arrays; any later encrypt/decrypt throws. */
  wipe(): void {
    this.encKeys.fill(0);
    this.decKeys.fill(0);
    this.wiped = true;
  }

  /** §2.3.1/§2.3.2: prewhitening, 6-round groups separated by FL / FL^-1, postwhitening, swap. */
  private crypt(k: Uint32Array, src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, fn: string): void {
    checkBlock(fn, src, srcOff);
    checkBlock(fn, dst, dstOff);
    let d1h = readU32BE(src, srcOff) ^ k[0]!;
    let d1l = readU32BE(src, srcOff + 4) ^ k[1]!;
    let d2h = readU32BE(src, srcOff + 8) ^ k[2]!;
    let d2l = readU32BE(src, srcOff + 12) ^ k[3]!;
    let p = 4;
    const groups = this.rounds / 6;
    for (let g = 0; g < groups; g++) {
      if (g > 0) {
        // FL on D1 (§2.4.2): x2 ^= (x1 & k1) <<< 1; x1 ^= x2 | k2.
        d1l ^= rotl(d1h & k[p]!, 1);
        d1h ^= d1l | k[p + 1]!;
        // FL^-1 on D2 (§2.4.2): y1 ^= y2 | k2; y2 ^= (y1 & k1) <<< 1.
        d2h ^= d2l | k[p + 3]!;
        d2l ^= rotl(d2h & k[p + 2]!, 1);
        p += 4;
      }
      for (let r = 0; r < 3; r++, p += 4) {
        // D2 ^= F(D1, k_i); D1 ^= F(D2, k_(i+1)), with F as described at buildTables.
        let u = fU(d1h ^ k[p]!);
        let y = rotl(u, 8) ^ fV(d1l ^ k[p + 1]!);
        d2h ^= y;
        d2l ^= y ^ u;
        u = fU(d2h ^ k[p + 2]!);
        y = rotl(u, 8) ^ fV(d2l ^ k[p + 3]!);
        d1h ^= y;
        d1l ^= y ^ u;
      }
    }
    // Postwhitening: D2 ^= kw3, D1 ^= kw4; output D2 || D1.
    writeU32BE(dst, dstOff, d2h ^ k[p]!);
    writeU32BE(dst, dstOff + 4, d2l ^ k[p + 1]!);
    writeU32BE(dst, dstOff + 8, d1h ^ k[p + 2]!);
    writeU32BE(dst, dstOff + 12, d1l ^ k[p + 3]!);
  }
}
