import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openssl as opensslBatch, probeOpenssl as probeOpensslFor, type OsslCase } from './openssl-oracle.js';
import { cbcDecrypt, cbcEncrypt } from '../../../framework/xform/block.js';
import { Cast128Cipher } from '../../../framework/xform/cast128.js';
import { Prng } from '../../../sim/prng.js';
import { differentialLength } from './lengths.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface CbcVector { id: string; key: string; iv: string; plaintext: string; ciphertext: string }
interface MaintenanceVector {
  id: string; kind: 'maintenance_test'; initial_a: string; initial_b: string;
  iterations: number; final_a: string; final_b: string;
}
const file = JSON.parse(readFileSync(path.resolve(process.cwd(), '../shared/vectors/cast128-cbc.json'), 'utf8')) as {
  vectors: (CbcVector | MaintenanceVector)[];
};
const cbcVectors = file.vectors.filter((v): v is CbcVector => !('kind' in v));
const maintenance = file.vectors.filter((v): v is MaintenanceVector => 'kind' in v && v.kind === 'maintenance_test');

// ---- OpenSSL oracle (shared): cast5-cbc needs the legacy provider. ----
const LEGACY = true;
const openssl = (cases: OsslCase[]): string[] => opensslBatch(cases, LEGACY);
const probeOpenssl = () => probeOpensslFor("require('node:crypto').createCipheriv('cast5-cbc', Buffer.alloc(16), Buffer.alloc(8))", 'cast5-cbc', LEGACY);

describe('Cast128Cipher', () => {
  it.each(cbcVectors.map((v) => [v.id, v] as const))('matches the published vector %s in CBC both ways', (_id, v) => {
    const c = new Cast128Cipher(hex(v.key));
    const buf = hex(v.plaintext);
    cbcEncrypt(c, hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.ciphertext);
    cbcDecrypt(c, hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.plaintext);
  });

  it('uses 12 rounds for keys of 80 bits or less and 16 above (RFC 2144 §2.5)', () => {
    for (let n = 5; n <= 16; n++) expect(new Cast128Cipher(new Uint8Array(n)).rounds).toBe(n <= 10 ? 12 : 16);
  });

  it.each(maintenance.map((v) => [v.id, v] as const))('passes %s (one million iterations)', (_id, v) => {
    const a = hex(v.initial_a);
    const b = hex(v.initial_b);
    for (let i = 0; i < v.iterations; i++) {
      const kb = new Cast128Cipher(b);
      kb.encryptBlock(a, 0, a, 0);
      kb.encryptBlock(a, 8, a, 8);
      const ka = new Cast128Cipher(a);
      ka.encryptBlock(b, 0, b, 0);
      ka.encryptBlock(b, 8, b, 8);
    }
    expect(toHex(a)).toBe(v.final_a);
    expect(toHex(b)).toBe(v.final_b);
  });

  it('rejects keys outside 5..16 bytes with a RangeError', () => {
    expect(() => new Cast128Cipher(new Uint8Array(4))).toThrow(RangeError);
    expect(() => new Cast128Cipher(new Uint8Array(17))).toThrow(RangeError);
    expect(() => new Cast128Cipher(new Uint8Array(0))).toThrow(RangeError);
  });

  it('rejects a CBC payload that is not a whole number of blocks', () => {
    const c = new Cast128Cipher(new Uint8Array(16));
    expect(() => cbcEncrypt(c, new Uint8Array(8), new Uint8Array(12))).toThrow(RangeError);
    expect(() => cbcDecrypt(c, new Uint8Array(8), new Uint8Array(7))).toThrow(RangeError);
  });

  it('rejects a block that does not fit in the buffer', () => {
    const c = new Cast128Cipher(new Uint8Array(16));
    expect(() => c.encryptBlock(new Uint8Array(8), 1, new Uint8Array(8), 0)).toThrow(RangeError);
    expect(() => c.decryptBlock(new Uint8Array(8), 0, new Uint8Array(15), 8)).toThrow(RangeError);
  });

  it('round-trips random keys of every length and random data, in place and between buffers', () => {
    const seed = 2144;
    const rng = new Prng(seed).stream('cast128-roundtrip');
    for (let i = 0; i < 300; i++) {
      const key = rng.bytes(rng.int(5, 16));
      const iv = rng.bytes(8);
      const plain = rng.bytes(8 * rng.int(1, 12));
      const c = new Cast128Cipher(key);
      const buf = plain.slice();
      cbcEncrypt(c, iv, buf);
      expect(toHex(buf), `seed ${seed} case ${i}`).not.toBe(toHex(plain));
      cbcDecrypt(c, iv, buf);
      expect(toHex(buf), `seed ${seed} case ${i} key ${toHex(key)}`).toBe(toHex(plain));
      const out = new Uint8Array(16);
      c.encryptBlock(plain, 0, out, 3);
      c.decryptBlock(out, 3, out, 8);
      expect(toHex(out.subarray(8, 16)), `seed ${seed} case ${i}`).toBe(toHex(plain.subarray(0, 8)));
    }
  });

  it('agrees with OpenSSL cast5-cbc on random keys (5..16 bytes), IVs and data, both directions', (ctx) => {
    const probe = probeOpenssl();
    if (!probe.ok) ctx.skip(probe.reason);
    const seed = 0xca57;
    const rng = new Prng(seed).stream('cast128-openssl');
    const cases: OsslCase[] = [];
    for (let i = 0; i < 400; i++) {
      cases.push({ alg: 'cast5-cbc', key: toHex(rng.bytes(5 + (i % 12))), iv: toHex(rng.bytes(8)),
        data: toHex(rng.bytes(differentialLength(rng, 8))), decrypt: i % 2 === 1 });
    }
    const want = openssl(cases);
    cases.forEach((k, i) => {
      const buf = hex(k.data);
      const c = new Cast128Cipher(hex(k.key));
      (k.decrypt ? cbcDecrypt : cbcEncrypt)(c, hex(k.iv), buf);
      expect(toHex(buf), `seed ${seed} case ${i}: ${JSON.stringify(k)}`).toBe(want[i]);
    });
  });

  it('wipe() zeroes every key-schedule array and refuses further use', () => {
    const c = new Cast128Cipher(hex('0123456712345678234567893456789a'));
    const held = Object.values(c).filter((v): v is Uint8Array | Uint32Array => ArrayBuffer.isView(v));
    expect(held.length).toBeGreaterThan(0);
    expect(held.some((a) => a.some((x) => x !== 0))).toBe(true);
    c.wipe();
    for (const a of held) expect(a.every((x) => x === 0)).toBe(true);
    const blk = new Uint8Array(8);
    expect(() => c.encryptBlock(blk, 0, blk, 0)).toThrow(/wipe/);
    expect(() => c.decryptBlock(blk, 0, blk, 0)).toThrow(/wipe/);
  });

  it('exposes its block size on the class and the instance', () => {
    expect(Cast128Cipher.blockSize).toBe(8);
    expect(new Cast128Cipher(new Uint8Array(5)).blockSize).toBe(8);
  });
});
