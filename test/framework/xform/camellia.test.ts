import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openssl as opensslBatch, probeOpenssl as probeOpensslFor, type OsslCase } from './openssl-oracle.js';
import { cbcDecrypt, cbcEncrypt } from '../../../framework/xform/block.js';
import { CamelliaCipher } from '../../../framework/xform/camellia.js';
import { Prng } from '../../../sim/prng.js';
import { differentialLength } from './lengths.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface CbcVector { id: string; key: string; iv: string; plaintext: string; ciphertext: string }
const vectors = (JSON.parse(readFileSync(path.resolve(process.cwd(), '../shared/vectors/camellia-cbc.json'), 'utf8')) as {
  vectors: CbcVector[];
}).vectors;

// ---- OpenSSL oracle (shared): camellia-*-cbc is in the default provider. ----
const LEGACY = false;
const openssl = (cases: OsslCase[]): string[] => opensslBatch(cases, LEGACY);
const probeOpenssl = () => probeOpensslFor("for (const n of [128, 192, 256]) require('node:crypto').createCipheriv('camellia-' + n + '-cbc', Buffer.alloc(n / 8), Buffer.alloc(16))", 'camellia-*-cbc', LEGACY);

describe('CamelliaCipher', () => {
  it.each(vectors.map((v) => [v.id, v] as const))('matches the published vector %s in CBC both ways', (_id, v) => {
    const c = new CamelliaCipher(hex(v.key));
    const buf = hex(v.plaintext);
    cbcEncrypt(c, hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.ciphertext);
    cbcDecrypt(c, hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.plaintext);
  });

  it('runs 18 rounds for 128-bit keys and 24 for 192/256-bit keys', () => {
    expect(new CamelliaCipher(new Uint8Array(16)).rounds).toBe(18);
    expect(new CamelliaCipher(new Uint8Array(24)).rounds).toBe(24);
    expect(new CamelliaCipher(new Uint8Array(32)).rounds).toBe(24);
  });

  it('rejects every key length but 16, 24 and 32 bytes, including the rest of OCF\'s 8..32 range', () => {
    for (const n of [0, 8, 15, 17, 20, 23, 25, 31, 33, 64]) {
      expect(() => new CamelliaCipher(new Uint8Array(n)), `${n} bytes`).toThrow(RangeError);
    }
    expect(() => new CamelliaCipher(new Uint8Array(8))).toThrow(/128\/192\/256/);
  });

  it('rejects a CBC payload that is not a whole number of blocks, or a short IV', () => {
    const c = new CamelliaCipher(new Uint8Array(16));
    expect(() => cbcEncrypt(c, new Uint8Array(16), new Uint8Array(24))).toThrow(RangeError);
    expect(() => cbcDecrypt(c, new Uint8Array(8), new Uint8Array(16))).toThrow(RangeError);
  });

  it('rejects a block that does not fit in the buffer', () => {
    const c = new CamelliaCipher(new Uint8Array(16));
    expect(() => c.encryptBlock(new Uint8Array(16), 1, new Uint8Array(16), 0)).toThrow(RangeError);
    expect(() => c.decryptBlock(new Uint8Array(16), 0, new Uint8Array(20), 8)).toThrow(RangeError);
  });

  it('round-trips random keys of each size and random data, in place and between buffers', () => {
    const seed = 3713;
    const rng = new Prng(seed).stream('camellia-roundtrip');
    for (let i = 0; i < 300; i++) {
      const key = rng.bytes(rng.pick([16, 24, 32]));
      const iv = rng.bytes(16);
      const plain = rng.bytes(16 * rng.int(1, 8));
      const c = new CamelliaCipher(key);
      const buf = plain.slice();
      cbcEncrypt(c, iv, buf);
      expect(toHex(buf), `seed ${seed} case ${i}`).not.toBe(toHex(plain));
      cbcDecrypt(c, iv, buf);
      expect(toHex(buf), `seed ${seed} case ${i} key ${toHex(key)}`).toBe(toHex(plain));
      const out = new Uint8Array(40);
      c.encryptBlock(plain, 0, out, 5);
      c.decryptBlock(out, 5, out, 24);
      expect(toHex(out.subarray(24, 40)), `seed ${seed} case ${i}`).toBe(toHex(plain.subarray(0, 16)));
    }
  });

  it('agrees with OpenSSL camellia-128/192/256-cbc on random keys, IVs and data, both directions', (ctx) => {
    const probe = probeOpenssl();
    if (!probe.ok) ctx.skip(probe.reason);
    const seed = 0xca3e;
    const rng = new Prng(seed).stream('camellia-openssl');
    const cases: OsslCase[] = [];
    for (let i = 0; i < 450; i++) {
      const bits = [128, 192, 256][i % 3]!;
      cases.push({ alg: `camellia-${bits}-cbc`, key: toHex(rng.bytes(bits / 8)), iv: toHex(rng.bytes(16)),
        data: toHex(rng.bytes(differentialLength(rng, 16))), decrypt: Math.floor(i / 3) % 2 === 1 });
    }
    const want = openssl(cases);
    cases.forEach((k, i) => {
      const buf = hex(k.data);
      const c = new CamelliaCipher(hex(k.key));
      (k.decrypt ? cbcDecrypt : cbcEncrypt)(c, hex(k.iv), buf);
      expect(toHex(buf), `seed ${seed} case ${i}: ${JSON.stringify(k)}`).toBe(want[i]);
    });
  });

  it('wipe() zeroes every key-schedule array and refuses further use', () => {
    for (const n of [16, 24, 32]) {
      const c = new CamelliaCipher(new Prng(n).bytes(n));
      const held = Object.values(c).filter((v): v is Uint32Array => ArrayBuffer.isView(v));
      expect(held.length).toBeGreaterThan(0);
      expect(held.every((a) => a.some((x) => x !== 0))).toBe(true);
      c.wipe();
      for (const a of held) expect(a.every((x) => x === 0)).toBe(true);
      const blk = new Uint8Array(16);
      expect(() => c.encryptBlock(blk, 0, blk, 0)).toThrow(/wipe/);
      expect(() => c.decryptBlock(blk, 0, blk, 0)).toThrow(/wipe/);
    }
  });

  it('exposes its block size on the class and the instance', () => {
    expect(CamelliaCipher.blockSize).toBe(16);
    expect(new CamelliaCipher(new Uint8Array(16)).blockSize).toBe(16);
  });
});
