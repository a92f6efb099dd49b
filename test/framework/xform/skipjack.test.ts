import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cbcDecrypt, cbcEncrypt } from '../../../framework/xform/block.js';
import { SkipjackCipher } from '../../../framework/xform/skipjack.js';
import { Prng } from '../../../sim/prng.js';

// OpenSSL has no Skipjack, so there is no differential test here: the checks are the
// specification's own example, the vector file, and round trips.

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface CbcVector { id: string; key: string; iv: string; plaintext: string; ciphertext: string }
const vectors = (JSON.parse(readFileSync(path.resolve(process.cwd(), '../shared/vectors/skipjack-cbc.json'), 'utf8')) as {
  vectors: CbcVector[];
}).vectors;

describe('SkipjackCipher', () => {
  it('reproduces the example in the 1998 SKIPJACK/KEA specification', () => {
    const c = new SkipjackCipher(hex('00998877665544332211'));
    const out = new Uint8Array(8);
    c.encryptBlock(hex('33221100ddccbbaa'), 0, out, 0);
    expect(toHex(out)).toBe('2587cae27a12d300');
    c.decryptBlock(out, 0, out, 0);
    expect(toHex(out)).toBe('33221100ddccbbaa');
  });

  it.each(vectors.map((v) => [v.id, v] as const))('matches the vector %s in CBC both ways', (_id, v) => {
    const c = new SkipjackCipher(hex(v.key));
    const buf = hex(v.plaintext);
    cbcEncrypt(c, hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.ciphertext);
    cbcDecrypt(c, hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.plaintext);
  });

  it('rejects any key that is not exactly 10 bytes', () => {
    for (const n of [0, 5, 9, 11, 16]) expect(() => new SkipjackCipher(new Uint8Array(n)), `${n} bytes`).toThrow(RangeError);
  });

  it('rejects a CBC payload that is not a whole number of blocks', () => {
    const c = new SkipjackCipher(new Uint8Array(10));
    expect(() => cbcEncrypt(c, new Uint8Array(8), new Uint8Array(9))).toThrow(RangeError);
    expect(() => cbcDecrypt(c, new Uint8Array(8), new Uint8Array(4))).toThrow(RangeError);
  });

  it('rejects a block that does not fit in the buffer', () => {
    const c = new SkipjackCipher(new Uint8Array(10));
    expect(() => c.encryptBlock(new Uint8Array(8), 1, new Uint8Array(8), 0)).toThrow(RangeError);
    expect(() => c.decryptBlock(new Uint8Array(8), 0, new Uint8Array(8), -1)).toThrow(RangeError);
  });

  it('round-trips random keys and random data, in place and between buffers', () => {
    const seed = 1998;
    const rng = new Prng(seed).stream('skipjack-roundtrip');
    for (let i = 0; i < 500; i++) {
      const key = rng.bytes(10);
      const iv = rng.bytes(8);
      const plain = rng.bytes(8 * rng.int(1, 12));
      const c = new SkipjackCipher(key);
      const buf = plain.slice();
      cbcEncrypt(c, iv, buf);
      expect(toHex(buf), `seed ${seed} case ${i}`).not.toBe(toHex(plain));
      cbcDecrypt(c, iv, buf);
      expect(toHex(buf), `seed ${seed} case ${i} key ${toHex(key)}`).toBe(toHex(plain));
      const out = new Uint8Array(20);
      c.encryptBlock(plain, 0, out, 1);
      c.decryptBlock(out, 1, out, 12);
      expect(toHex(out.subarray(12, 20)), `seed ${seed} case ${i}`).toBe(toHex(plain.subarray(0, 8)));
    }
  });

  it('depends on every key byte', () => {
    const base = hex('00998877665544332211');
    const ref = new Uint8Array(8);
    new SkipjackCipher(base).encryptBlock(hex('33221100ddccbbaa'), 0, ref, 0);
    for (let i = 0; i < 10; i++) {
      const k = base.slice();
      k[i] = k[i]! ^ 1;
      const out = new Uint8Array(8);
      new SkipjackCipher(k).encryptBlock(hex('33221100ddccbbaa'), 0, out, 0);
      expect(toHex(out), `key byte ${i}`).not.toBe(toHex(ref));
    }
  });

  it('wipe() zeroes the key material and refuses further use', () => {
    const c = new SkipjackCipher(hex('00998877665544332211'));
    const held = Object.values(c).filter((v): v is Uint8Array => ArrayBuffer.isView(v));
    expect(held.length).toBeGreaterThan(0);
    expect(held.some((a) => a.some((x) => x !== 0))).toBe(true);
    c.wipe();
    for (const a of held) expect(a.every((x) => x === 0)).toBe(true);
    const blk = new Uint8Array(8);
    expect(() => c.encryptBlock(blk, 0, blk, 0)).toThrow(/wipe/);
    expect(() => c.decryptBlock(blk, 0, blk, 0)).toThrow(/wipe/);
  });

  it('exposes its block size on the class and the instance', () => {
    expect(SkipjackCipher.blockSize).toBe(8);
    expect(new SkipjackCipher(new Uint8Array(10)).blockSize).toBe(8);
  });
});
