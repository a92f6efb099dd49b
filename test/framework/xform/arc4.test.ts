import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openssl as opensslBatch, probeOpenssl as probeOpensslFor, type OsslCase } from './openssl-oracle.js';
import { Arc4 } from '../../../framework/xform/arc4.js';
import { Prng } from '../../../sim/prng.js';
import { differentialLength } from './lengths.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface StreamVector { id: string; key: string; stream_offset: number; plaintext: string; ciphertext: string }
const vectors = (JSON.parse(readFileSync(path.resolve(process.cwd(), '../shared/vectors/arc4.json'), 'utf8')) as {
  vectors: StreamVector[];
}).vectors;

// ---- OpenSSL oracle (shared): rc4 needs the legacy provider. ----
const LEGACY = true;
const openssl = (cases: OsslCase[]): string[] => opensslBatch(cases, LEGACY);
const probeOpenssl = () => probeOpensslFor("require('node:crypto').createCipheriv('rc4', Buffer.alloc(16), null)", 'rc4', LEGACY);

describe('Arc4', () => {
  it.each(vectors.map((v) => [v.id, v] as const))('matches %s after skip()', (_id, v) => {
    const a = new Arc4(hex(v.key));
    a.skip(v.stream_offset);
    const buf = hex(v.plaintext);
    a.process(buf, 0, buf, 0, buf.length);
    expect(toHex(buf)).toBe(v.ciphertext);
  });

  it('matches every RFC 6229 vector when the whole prefix is encrypted in one call', () => {
    for (const v of vectors) {
      const buf = new Uint8Array(v.stream_offset + 16);
      new Arc4(hex(v.key)).process(buf, 0, buf, 0, buf.length);
      expect(toHex(buf.subarray(v.stream_offset)), v.id).toBe(v.ciphertext);
    }
  });

  it('accepts keys of 1..256 bytes and rejects 0 and 257', () => {
    expect(() => new Arc4(new Uint8Array(1))).not.toThrow();
    expect(() => new Arc4(new Uint8Array(256))).not.toThrow();
    expect(() => new Arc4(new Uint8Array(0))).toThrow(RangeError);
    expect(() => new Arc4(new Uint8Array(257))).toThrow(RangeError);
  });

  it('rejects ranges outside the buffers and negative skips', () => {
    const a = new Arc4(hex('0102030405'));
    expect(() => a.process(new Uint8Array(8), 4, new Uint8Array(8), 0, 5)).toThrow(RangeError);
    expect(() => a.process(new Uint8Array(8), 0, new Uint8Array(4), 0, 5)).toThrow(RangeError);
    expect(() => a.process(new Uint8Array(8), 0, new Uint8Array(8), 0, -1)).toThrow(RangeError);
    expect(() => a.skip(-1)).toThrow(RangeError);
  });

  it('gives the same output whether the data is processed at once or in random chunks, in place or not', () => {
    const seed = 6229;
    const rng = new Prng(seed).stream('arc4-chunks');
    for (let i = 0; i < 100; i++) {
      const key = rng.bytes(rng.int(1, 256));
      const data = rng.bytes(rng.int(0, 700));
      const whole = new Uint8Array(data.length);
      new Arc4(key).process(data, 0, whole, 0, data.length);
      const chunked = data.slice();
      const a = new Arc4(key);
      for (let off = 0; off < chunked.length;) {
        const n = Math.min(rng.int(0, 40), chunked.length - off);
        a.process(chunked, off, chunked, off, n);
        off += n;
      }
      expect(toHex(chunked), `seed ${seed} case ${i}`).toBe(toHex(whole));
      // Decryption is the same operation: a fresh keystream restores the data.
      new Arc4(key).process(whole, 0, whole, 0, whole.length);
      expect(toHex(whole), `seed ${seed} case ${i}`).toBe(toHex(data));
    }
  });

  it('skip(n) leaves the keystream exactly where processing n bytes would', () => {
    const key = hex('0102030405060708090a');
    for (const n of [0, 1, 255, 256, 257, 3000]) {
      const a = new Arc4(key);
      a.skip(n);
      const b = new Arc4(key);
      b.process(new Uint8Array(n), 0, new Uint8Array(n), 0, n);
      const ka = new Uint8Array(32), kb = new Uint8Array(32);
      a.process(ka, 0, ka, 0, 32);
      b.process(kb, 0, kb, 0, 32);
      expect(toHex(ka), `n = ${n}`).toBe(toHex(kb));
    }
  });

  it('agrees with OpenSSL rc4 on random keys (1..256 bytes) and data', (ctx) => {
    const probe = probeOpenssl();
    if (!probe.ok) ctx.skip(probe.reason);
    const seed = 0xa4c4;
    const rng = new Prng(seed).stream('arc4-openssl');
    const cases: OsslCase[] = [];
    for (let i = 0; i < 300; i++) {
      const keyLen = i < 32 ? i + 1 : rng.int(1, 256); // every OCF key size, then the rest at random
      cases.push({ alg: 'rc4', key: toHex(rng.bytes(keyLen)), iv: '', data: toHex(rng.bytes(differentialLength(rng))), decrypt: false });
    }
    const want = openssl(cases);
    cases.forEach((k, i) => {
      const buf = hex(k.data);
      new Arc4(hex(k.key)).process(buf, 0, buf, 0, buf.length);
      expect(toHex(buf), `seed ${seed} case ${i}: key ${k.key}`).toBe(want[i]);
    });
  });

  it('wipe() zeroes the state and refuses further use', () => {
    const a = new Arc4(hex('0102030405'));
    a.skip(10);
    const held = Object.values(a).filter((v): v is Uint8Array => ArrayBuffer.isView(v));
    expect(held.length).toBeGreaterThan(0);
    a.wipe();
    for (const s of held) expect(s.every((x) => x === 0)).toBe(true);
    expect(Object.entries(a).filter(([, v]) => typeof v === 'number' && v !== 0)).toEqual([]);
    const buf = new Uint8Array(4);
    expect(() => a.process(buf, 0, buf, 0, 4)).toThrow(/wipe/);
    expect(() => a.skip(1)).toThrow(/wipe/);
  });
});
