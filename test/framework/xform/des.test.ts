/**
 * DES and three-key 3DES (framework/xform/des.ts): every published vector in
 * ../shared/vectors/{des,3des}-cbc.json, a differential test against OpenSSL's des-cbc and
 * des-ede3-cbc, and properties of the block interface.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cbcDecrypt, cbcEncrypt, type BlockCipherClass } from '../../../framework/xform/block.js';
import { DesCipher, TripleDesCipher } from '../../../framework/xform/des.js';
import { Prng } from '../../../sim/prng.js';
import { openssl, probeOpenssl } from './openssl-oracle.js';
import { differentialLength } from './lengths.js';

interface CbcVector {
  id: string;
  key: string;
  iv: string;
  plaintext: string;
  ciphertext: string;
}

const loadVectors = (file: string): CbcVector[] =>
  (JSON.parse(readFileSync(new URL(`../../../../shared/vectors/${file}`, import.meta.url), 'utf8')) as { vectors: CbcVector[] }).vectors;
const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function cbcHex(C: BlockCipherClass, key: string, iv: string, data: string, dir: 'encrypt' | 'decrypt'): string {
  const buf = fromHex(data);
  (dir === 'encrypt' ? cbcEncrypt : cbcDecrypt)(new C(fromHex(key)), fromHex(iv), buf);
  return toHex(buf);
}

/** The typed arrays an instance owns: together they are its key schedule. */
const scheduleArrays = (c: object): Int32Array[] => Object.values(c).filter((v): v is Int32Array => v instanceof Int32Array);

// --- OpenSSL through a child `node --openssl-legacy-provider` (vitest's workers cannot load it) ---

interface OpensslCase { key: string; iv: string; data: string }

/** Why OpenSSL cannot run `alg` here, or undefined when it can. */
function opensslProblem(alg: string, keyLen: number): string | undefined {
  const r = probeOpenssl(`require('node:crypto').createCipheriv('${alg}', Buffer.alloc(${keyLen}), Buffer.alloc(8))`, alg, true);
  return r.ok ? undefined : r.reason;
}

const opensslCbcEncrypt = (alg: string, cases: OpensslCase[]): string[] => openssl(cases.map((c) => ({ alg, ...c, decrypt: false })), true);

function randomCases(seed: number, name: string, keyLen: number, count: number): OpensslCase[] {
  const rng = new Prng(seed).stream(name);
  return Array.from({ length: count }, () => ({
    key: toHex(rng.bytes(keyLen)),
    iv: toHex(rng.bytes(8)),
    data: toHex(rng.bytes(differentialLength(rng, 8))),
  }));
}

const SEED = 0x0cf5;

describe.each([
  { name: 'DesCipher', C: DesCipher, keyLen: 8, file: 'des-cbc.json', alg: 'des-cbc' },
  { name: 'TripleDesCipher', C: TripleDesCipher, keyLen: 24, file: '3des-cbc.json', alg: 'des-ede3-cbc' },
])('$name', ({ C, keyLen, file, alg }) => {
  it.each(loadVectors(file))('encrypts and decrypts the published vector $id', (v) => {
    expect(cbcHex(C, v.key, v.iv, v.plaintext, 'encrypt')).toBe(v.ciphertext);
    expect(cbcHex(C, v.key, v.iv, v.ciphertext, 'decrypt')).toBe(v.plaintext);
  });

  it(`agrees with OpenSSL ${alg} on 300 seeded random keys, IVs and lengths`, (ctx) => {
    const problem = opensslProblem(alg, keyLen);
    if (problem) ctx.skip(problem);
    const cases = randomCases(SEED, alg, keyLen, 300);
    const expected = opensslCbcEncrypt(alg, cases);
    cases.forEach((c, i) => {
      const where = `seed ${SEED}, case ${i}, key ${c.key}, iv ${c.iv}`;
      expect(cbcHex(C, c.key, c.iv, c.data, 'encrypt'), where).toBe(expected[i]);
      expect(cbcHex(C, c.key, c.iv, expected[i]!, 'decrypt'), where).toBe(c.data);
    });
  });

  it('decrypts what it encrypted, for any key, IV and whole number of blocks', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: keyLen, maxLength: keyLen }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.integer({ min: 0, max: 32 }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n })),
        (key, iv, data) => {
          const c = new C(key);
          const buf = data.slice();
          cbcEncrypt(c, iv, buf);
          cbcDecrypt(c, iv, buf);
          expect(buf).toEqual(data);
        },
      ),
    );
  });

  it('ignores the key parity bits (the low bit of every key byte)', () => {
    const rng = new Prng(SEED).stream(`${alg}.parity`);
    for (let i = 0; i < 20; i++) {
      const key = rng.bytes(keyLen);
      const flipped = key.map((b) => b ^ 1);
      const block = rng.bytes(8);
      const a = new Uint8Array(8);
      const b = new Uint8Array(8);
      new C(key).encryptBlock(block, 0, a, 0);
      new C(flipped).encryptBlock(block, 0, b, 0);
      expect(b).toEqual(a);
    }
  });

  it('rejects a key of the wrong length with a RangeError naming the expected size', () => {
    for (const len of [0, keyLen - 1, keyLen + 1, keyLen === 8 ? 24 : 16]) {
      expect(() => new C(new Uint8Array(len))).toThrow(RangeError);
      expect(() => new C(new Uint8Array(len))).toThrow(`${keyLen} bytes`);
    }
    expect(C.blockSize).toBe(8);
    expect(C.keySize).toBe(keyLen);
  });

  it('works on a block at any offset, in place or between buffers, touching nothing else', () => {
    const rng = new Prng(SEED).stream(`${alg}.offsets`);
    const c = new C(rng.bytes(keyLen));
    const block = rng.bytes(8);
    const ref = new Uint8Array(8);
    c.encryptBlock(block, 0, ref, 0);
    const src = new Uint8Array(32).fill(0xaa);
    src.set(block, 11);
    const dst = new Uint8Array(32).fill(0x55);
    c.encryptBlock(src, 11, dst, 5);
    expect(dst.subarray(5, 13)).toEqual(ref);
    expect([...dst.subarray(0, 5), ...dst.subarray(13)].every((b) => b === 0x55)).toBe(true);
    c.encryptBlock(src, 11, src, 11);
    expect(src.subarray(11, 19)).toEqual(ref);
    c.decryptBlock(src, 11, src, 11);
    expect(src.subarray(11, 19)).toEqual(block);
    expect([...src.subarray(0, 11), ...src.subarray(19)].every((b) => b === 0xaa)).toBe(true);
  });

  it('throws a RangeError when a block does not fit at the given offsets', () => {
    const c = new C(new Uint8Array(keyLen));
    const buf = new Uint8Array(16);
    expect(() => c.encryptBlock(buf, 9, buf, 0)).toThrow(RangeError);
    expect(() => c.decryptBlock(buf, 0, buf, -1)).toThrow(RangeError);
    expect(() => c.encryptBlock(buf, 0.5, buf, 0)).toThrow(RangeError);
  });

  it('wipe() zeroes the key schedule', () => {
    const c = new C(new Prng(SEED).stream(`${alg}.wipe`).bytes(keyLen));
    const arrays = scheduleArrays(c);
    expect(arrays.length).toBeGreaterThan(0);
    expect(arrays.every((a) => a.some((w) => w !== 0))).toBe(true);
    c.wipe();
    expect(arrays.every((a) => a.every((w) => w === 0))).toBe(true);
  });
});

describe('TripleDesCipher composition', () => {
  it('is E_K3(D_K2(E_K1(x))) with K1 || K2 || K3 taken from the 24-byte key', () => {
    const rng = new Prng(SEED).stream('3des.ede');
    for (let i = 0; i < 50; i++) {
      const key = rng.bytes(24);
      const x = rng.bytes(8);
      const viaDes = x.slice();
      new DesCipher(key.subarray(0, 8)).encryptBlock(viaDes, 0, viaDes, 0);
      new DesCipher(key.subarray(8, 16)).decryptBlock(viaDes, 0, viaDes, 0);
      new DesCipher(key.subarray(16, 24)).encryptBlock(viaDes, 0, viaDes, 0);
      const via3des = new Uint8Array(8);
      new TripleDesCipher(key).encryptBlock(x, 0, via3des, 0);
      expect(via3des).toEqual(viaDes);
    }
  });

  it('reduces to single DES when K1 = K2 = K3', () => {
    const rng = new Prng(SEED).stream('3des.single');
    for (let i = 0; i < 20; i++) {
      const k = rng.bytes(8);
      const key = new Uint8Array(24);
      key.set(k, 0);
      key.set(k, 8);
      key.set(k, 16);
      const x = rng.bytes(8);
      const a = new Uint8Array(8);
      const b = new Uint8Array(8);
      new DesCipher(k).encryptBlock(x, 0, a, 0);
      new TripleDesCipher(key).encryptBlock(x, 0, b, 0);
      expect(b).toEqual(a);
    }
  });
});
