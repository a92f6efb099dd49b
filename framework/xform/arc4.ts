/**
 * ARC4 ("alleged RC4") — the stream transform behind OCF's `CRYPTO_ARC4`.
 *
 * The cipher as described in RFC 6229 §1 (and its references): a 256-byte state permutation S is
 * initialised from the key by the key-scheduling algorithm (KSA), and each keystream byte is
 * produced by one step of the pseudo-random generation algorithm (PRGA); encryption and decryption
 * are both XOR with the keystream. There is no IV.
 *
 * Keys: the cipher is defined for 1..256-byte keys and this class accepts all of them; OCF limits
 * ARC4 sessions to 1..32 bytes (`ARC4_MIN_KEY`..`ARC4_MAX_KEY`, ocf.md §1.4), which the framework
 * layer enforces, not this transform.
 *
 * @example
 *   const rc4 = new Arc4(hex('0102030405'));
 *   rc4.process(buf, 0, buf, 0, buf.length); // in place
 *   rc4.wipe();
 */

/**
 * One ARC4 keystream.
 *
 * @example
 *   const a = new Arc4(key);
 *   a.skip(1024);                         // discard the first 1 KiB of keystream
 *   a.process(src, 0, dst, 0, src.length);
 *   a.wipe();
 */
export class Arc4 {
  /** The state permutation S. */
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;
  private wiped = false;

  constructor(key: Uint8Array) {
    if (key.length < 1 || key.length > 256) throw new RangeError(`Arc4: key must be 1..256 bytes, got ${key.length}`);
    const s = this.s;
    for (let n = 0; n < 256; n++) s[n] = n;
    // KSA: j = j + S[i] + key[i mod keylen]; swap S[i], S[j].
    for (let n = 0, j = 0; n < 256; n++) {
      const t = s[n]!;
      j = (j + t + key[n % key.length]!) & 0xff;
      s[n] = s[j]!;
      s[j] = t;
    }
  }

  /**
   * XORs `len` keystream bytes into `src[srcOff..]` and writes the result to `dst[dstOff..]`.
   * `dst` may be `src` at the same offset (in place); other overlaps are not supported.
   *
   * @example
   *   new Arc4(key).process(payload, 0, payload, 0, payload.length);
   */
  process(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number): void {
    if (this.wiped) throw new Error('Arc4.process: keystream used after wipe()');
    checkRange('src', src, srcOff, len);
    checkRange('dst', dst, dstOff, len);
    const s = this.s;
    let i = this.i, j = this.j;
    for (let n = 0; n < len; n++) {
      // PRGA: i = i + 1; j = j + S[i]; swap S[i], S[j]; output S[S[i] + S[j]].
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      dst[dstOff + n] = src[srcOff + n]! ^ s[(si + sj) & 0xff]!;
    }
    this.i = i;
    this.j = j;
  }

  /**
   * Advances the keystream by `n` bytes without producing output (e.g. to reach RFC 6229's offsets).
   *
   * @example
   *   const a = new Arc4(key); a.skip(256);
   */
  skip(n: number): void {
    if (this.wiped) throw new Error('Arc4.skip: keystream used after wipe()');
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Arc4.skip: n must be a non-negative integer, got ${n}`);
    const s = this.s;
    let i = this.i, j = this.j;
    for (let c = 0; c < n; c++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      s[i] = s[j]!;
      s[j] = si;
    }
    this.i = i;
    this.j = j;
  }

  /** Zeroes the state permutation and indices; any later use throws. */
  wipe(): void {
    this.s.fill(0);
    this.i = 0;
    this.j = 0;
    this.wiped = true;
  }
}

function checkRange(name: string, buf: Uint8Array, off: number, len: number): void {
  if (!Number.isInteger(len) || len < 0 || !Number.isInteger(off) || off < 0 || off + len > buf.length) {
    throw new RangeError(`Arc4.process: ${name} range [${off}, ${off}+${len}) is outside a ${buf.length}-byte buffer`);
  }
}
