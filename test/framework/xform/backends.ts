/**
 * Shared by the backend conformance suites: the published vector files, hex helpers, and one
 * backend per implementation family so every suite runs against both.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createBackend, type BackendName, type CryptoBackend } from '../../../framework/xform/backend.js';
import type { Prng } from '../../../sim/prng.js';

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** A uniform `bits`-bit number (bits >= 1) with its top bit set, from `rng`. */
export function randomBits(rng: Prng, bits: number): bigint {
  const bytes = Math.ceil(bits / 8);
  return (BigInt(`0x${toHex(rng.bytes(bytes))}`) >> BigInt(bytes * 8 - bits)) | (1n << BigInt(bits - 1));
}

/** `vectors` of /work/shared/vectors/<file>.json. */
export function loadVectors<T>(file: string): T[] {
  const p = path.resolve(process.cwd(), `../shared/vectors/${file}.json`);
  return (JSON.parse(readFileSync(p, 'utf8')) as { vectors: T[] }).vectors;
}

/** A backend forced to each implementation family (whatever OCFSIM_CRYPTO_BACKEND says). */
export const BACKENDS: readonly (readonly [BackendName, CryptoBackend])[] = [
  ['noble', createBackend({ prefer: 'noble' })],
  ['openssl', createBackend({ prefer: 'openssl' })],
];

/** A copy of `b` at byte offset 1 of a larger buffer: catches code that assumes 4-byte alignment. */
export function unaligned(b: Uint8Array): Uint8Array {
  const big = new Uint8Array(b.length + 1);
  big.set(b, 1);
  return big.subarray(1);
}
