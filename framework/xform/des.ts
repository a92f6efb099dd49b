/**
 * DES (FIPS PUB 46-3) and three-key Triple DES / TDEA (NIST SP 800-67 Rev. 1 §3), one 8-byte
 * block at a time; CBC is in `block.ts`.
 *
 * Implementation notes, all derived from the FIPS 46-3 tables below:
 * - The S-boxes and the permutation P are merged at load time into eight 64-entry "SP" tables, so
 *   one round is two key XORs and eight table lookups (FIPS 46-3 §"The Cipher Function f").
 * - The expansion E is not materialised: the eight 6-bit S-box inputs are 6-bit windows of R that
 *   start every 4 bits (wrapping), so two rotations of R put the odd boxes' windows (S1, S7, S5, S3)
 *   and the even boxes' windows (S6, S4, S2, S8) in the low 6 bits of each byte. The key schedule
 *   stores each 48-bit subkey as two words in that same layout.
 * - IP and IP^-1 are 64-bit bit permutations done with five "delta swaps" each (exchange the bits
 *   selected by a mask between two words at a fixed distance); IP is a transposition of the 8x8
 *   bit matrix of the block, which this network computes. Triple DES runs IP and IP^-1 once: the
 *   IP^-1/IP pair between its stages cancels.
 *
 * Deliberate differences from FIPS 46-3 / SP 800-67 and why (following FreeBSD's cryptosoft,
 * sys/opencrypto/xform.c, which calls `des_set_key_unchecked`): key parity bits are ignored and
 * weak or semi-weak keys (and 3DES keys with K1 = K2 or K2 = K3) are accepted.
 */

import type { BlockCipher } from './block.js';

/** FIPS 46-3 S-boxes S1..S8, each 4 rows of 16 4-bit entries. */
const S_BOXES: readonly (readonly number[])[] = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
    4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
    0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
    13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
    10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
    4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
    9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
    1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
    7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
  ],
];

/** FIPS 46-3 permutation P (output bit i comes from input bit P[i]; bits numbered 1..32 from the left). */
const P_PERM = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25];

/** FIPS 46-3 Permuted Choice 1: key bits (1..64) feeding C (first 28) and D (last 28). */
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];

/** FIPS 46-3 Permuted Choice 2: bits of C||D (1..56) forming the 48-bit subkey. */
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
  41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];

/** FIPS 46-3 key schedule: left shifts of C and D before each of the 16 rounds. */
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

/**
 * SP[64*(i-1) + v] = P(S_i(v) in output nibble i), for a 6-bit S-box input v. Built once from the
 * tables above; read-only afterwards.
 */
const SP: Int32Array = (() => {
  const sp = new Int32Array(8 * 64);
  for (let box = 0; box < 8; box++) {
    const s = S_BOXES[box]!;
    for (let v = 0; v < 64; v++) {
      // FIPS 46-3: the outer bits (1st and 6th) pick the row, the middle four the column.
      const row = ((v >>> 4) & 2) | (v & 1);
      const col = (v >>> 1) & 15;
      const nibble = s[row * 16 + col]!;
      const sOut = nibble << (28 - 4 * box); // S_i's output is bits 4i-3..4i of the 32-bit word
      let out = 0;
      for (let j = 0; j < 32; j++) out = (out << 1) | ((sOut >>> (32 - P_PERM[j]!)) & 1);
      sp[box * 64 + v] = out;
    }
  }
  return sp;
})();

/**
 * Expands one 8-byte DES key into 16 subkeys, two words each, in the layout the round function
 * reads (see the module header): word 0 holds the 6-bit chunks of S1, S7, S5, S3 in bytes 0..3,
 * word 1 those of S6, S4, S2, S8. For decryption the subkeys are stored in reverse order.
 */
function expandKey(key: Uint8Array, keyOff: number, out: Int32Array, outOff: number, decrypt: boolean): void {
  const keyBit = (n: number): number => (key[keyOff + ((n - 1) >>> 3)]! >>> (7 - ((n - 1) & 7))) & 1;
  let c = 0;
  let d = 0;
  for (let j = 0; j < 28; j++) {
    c = (c << 1) | keyBit(PC1[j]!);
    d = (d << 1) | keyBit(PC1[28 + j]!);
  }
  const chunk = new Array<number>(8);
  for (let round = 0; round < 16; round++) {
    const sh = SHIFTS[round]!;
    c = ((c << sh) | (c >>> (28 - sh))) & 0x0fffffff;
    d = ((d << sh) | (d >>> (28 - sh))) & 0x0fffffff;
    for (let box = 0; box < 8; box++) {
      let v = 0;
      for (let b = 0; b < 6; b++) {
        const n = PC2[box * 6 + b]!;
        v = (v << 1) | (n <= 28 ? (c >>> (28 - n)) & 1 : (d >>> (56 - n)) & 1);
      }
      chunk[box] = v;
    }
    const slot = outOff + 2 * (decrypt ? 15 - round : round);
    out[slot] = chunk[0]! | (chunk[6]! << 8) | (chunk[4]! << 16) | (chunk[2]! << 24);
    out[slot + 1] = chunk[5]! | (chunk[3]! << 8) | (chunk[1]! << 16) | (chunk[7]! << 24);
  }
  chunk.fill(0);
}

/**
 * Encrypts or decrypts one block with `stages` consecutive 16-round DES passes whose 32-word
 * schedules lie back to back in `ks` (1 for DES, 3 for EDE). Allocates nothing.
 */
function crypt(ks: Int32Array, stages: number, src: Uint8Array, so: number, dst: Uint8Array, dOff: number): void {
  let l = (src[so]! << 24) | (src[so + 1]! << 16) | (src[so + 2]! << 8) | src[so + 3]!;
  let r = (src[so + 4]! << 24) | (src[so + 5]! << 16) | (src[so + 6]! << 8) | src[so + 7]!;
  let t: number;
  // IP as five delta swaps.
  t = ((l >>> 4) ^ r) & 0x0f0f0f0f; r ^= t; l ^= t << 4;
  t = ((l >>> 16) ^ r) & 0x0000ffff; r ^= t; l ^= t << 16;
  t = ((r >>> 2) ^ l) & 0x33333333; l ^= t; r ^= t << 2;
  t = ((r >>> 8) ^ l) & 0x00ff00ff; l ^= t; r ^= t << 8;
  t = ((l >>> 1) ^ r) & 0x55555555; r ^= t; l ^= t << 1;
  const sp = SP;
  let k = 0;
  for (let stage = 0; stage < stages; stage++) {
    // Two rounds per iteration, so L and R never need swapping inside a pass.
    for (let i = 0; i < 8; i++, k += 4) {
      let x = ((r >>> 27) | (r << 5)) ^ ks[k]!;
      let y = ((r >>> 7) | (r << 25)) ^ ks[k + 1]!;
      l ^= sp[x & 63]! ^ sp[384 + ((x >>> 8) & 63)]! ^ sp[256 + ((x >>> 16) & 63)]! ^ sp[128 + ((x >>> 24) & 63)]!
        ^ sp[320 + (y & 63)]! ^ sp[192 + ((y >>> 8) & 63)]! ^ sp[64 + ((y >>> 16) & 63)]! ^ sp[448 + ((y >>> 24) & 63)]!;
      x = ((l >>> 27) | (l << 5)) ^ ks[k + 2]!;
      y = ((l >>> 7) | (l << 25)) ^ ks[k + 3]!;
      r ^= sp[x & 63]! ^ sp[384 + ((x >>> 8) & 63)]! ^ sp[256 + ((x >>> 16) & 63)]! ^ sp[128 + ((x >>> 24) & 63)]!
        ^ sp[320 + (y & 63)]! ^ sp[192 + ((y >>> 8) & 63)]! ^ sp[64 + ((y >>> 16) & 63)]! ^ sp[448 + ((y >>> 24) & 63)]!;
    }
    // The pre-output is R16 || L16, which is also the next stage's IP(input).
    t = l; l = r; r = t;
  }
  // IP^-1: the same delta swaps in reverse order.
  t = ((l >>> 1) ^ r) & 0x55555555; r ^= t; l ^= t << 1;
  t = ((r >>> 8) ^ l) & 0x00ff00ff; l ^= t; r ^= t << 8;
  t = ((r >>> 2) ^ l) & 0x33333333; l ^= t; r ^= t << 2;
  t = ((l >>> 16) ^ r) & 0x0000ffff; r ^= t; l ^= t << 16;
  t = ((l >>> 4) ^ r) & 0x0f0f0f0f; r ^= t; l ^= t << 4;
  dst[dOff] = l >>> 24; dst[dOff + 1] = l >>> 16; dst[dOff + 2] = l >>> 8; dst[dOff + 3] = l;
  dst[dOff + 4] = r >>> 24; dst[dOff + 5] = r >>> 16; dst[dOff + 6] = r >>> 8; dst[dOff + 7] = r;
}

function checkKey(name: string, key: Uint8Array, size: number): void {
  if (!(key instanceof Uint8Array)) throw new TypeError(`${name}: key must be a Uint8Array`);
  if (key.length !== size) throw new RangeError(`${name}: key must be ${size} bytes, got ${key.length}`);
}

function checkBlock(name: string, src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  if (!(Number.isInteger(srcOff) && srcOff >= 0 && srcOff + 8 <= src.length
    && Number.isInteger(dstOff) && dstOff >= 0 && dstOff + 8 <= dst.length)) {
    throw new RangeError(`${name}: an 8-byte block does not fit at src[${srcOff}] (length ${src.length}) / dst[${dstOff}] (length ${dst.length})`);
  }
}

/**
 * Single DES (FIPS 46-3), OCF's `CRYPTO_DES_CBC` cipher. The 8-byte key's parity bits are ignored.
 *
 * @example
 *   const des = new DesCipher(hexToBytes('0123456789abcdef'));
 *   des.encryptBlock(block, 0, block, 0); // in place
 *   des.wipe();
 */
export class DesCipher implements BlockCipher {
  static readonly blockSize = 8;
  static readonly keySize = 8;
  readonly blockSize = 8;
  private readonly encKeys = new Int32Array(32);
  private readonly decKeys = new Int32Array(32);

  constructor(key: Uint8Array) {
    checkKey('DesCipher', key, DesCipher.keySize);
    expandKey(key, 0, this.encKeys, 0, false);
    expandKey(key, 0, this.decKeys, 0, true);
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    checkBlock('DesCipher.encryptBlock', src, srcOff, dst, dstOff);
    crypt(this.encKeys, 1, src, srcOff, dst, dstOff);
  }

  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    checkBlock('DesCipher.decryptBlock', src, srcOff, dst, dstOff);
    crypt(this.decKeys, 1, src, srcOff, dst, dstOff);
  }

  /** Zeroes both key schedules. */
  wipe(): void {
    this.encKeys.fill(0);
    this.decKeys.fill(0);
  }
}

/**
 * Three-key Triple DES, EDE (SP 800-67 Rev. 1 §3.1): C = E_K3(D_K2(E_K1(P))), key = K1 || K2 || K3
 * (24 bytes, as FreeBSD's `CRYPTO_3DES_CBC` takes it; two-key TDEA is K1 || K2 || K1).
 *
 * @example
 *   const tdes = new TripleDesCipher(key24);
 *   cbcEncrypt(tdes, iv8, payload); // payload.length % 8 === 0
 *   tdes.wipe();
 */
export class TripleDesCipher implements BlockCipher {
  static readonly blockSize = 8;
  static readonly keySize = 24;
  readonly blockSize = 8;
  /** E(K1), D(K2), E(K3). */
  private readonly encKeys = new Int32Array(96);
  /** D(K3), E(K2), D(K1). */
  private readonly decKeys = new Int32Array(96);

  constructor(key: Uint8Array) {
    checkKey('TripleDesCipher', key, TripleDesCipher.keySize);
    expandKey(key, 0, this.encKeys, 0, false);
    expandKey(key, 8, this.encKeys, 32, true);
    expandKey(key, 16, this.encKeys, 64, false);
    expandKey(key, 16, this.decKeys, 0, true);
    expandKey(key, 8, this.decKeys, 32, false);
    expandKey(key, 0, this.decKeys, 64, true);
  }

  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    checkBlock('TripleDesCipher.encryptBlock', src, srcOff, dst, dstOff);
    crypt(this.encKeys, 3, src, srcOff, dst, dstOff);
  }

  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    checkBlock('TripleDesCipher.decryptBlock', src, srcOff, dst, dstOff);
    crypt(this.decKeys, 3, src, srcOff, dst, dstOff);
  }

  /** Zeroes both key schedules. */
  wipe(): void {
    this.encKeys.fill(0);
    this.decKeys.fill(0);
  }
}
