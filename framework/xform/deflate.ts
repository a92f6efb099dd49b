/**
 * Raw DEFLATE (RFC 1951: no zlib header, no Adler-32) for `CRYPTO_DEFLATE_COMP`, with
 * cryptosoft's "compression was useless" rule (reference/ocf.md §3.7).
 *
 * Two implementations behind the same backend switch: fflate (pure JS, the "noble" side) and
 * node:zlib (`deflateRawSync` / `inflateRawSync`, the native side, reported as 'openssl' by
 * backend.describe() because it is the same "use the host's C library" choice). The native side
 * uses FreeBSD's parameters (opencrypto/deflate.c): level Z_DEFAULT_COMPRESSION (6), windowBits
 * -12 (4 KiB window), memLevel 8 to compress, windowBits -15 to decompress. fflate always uses a
 * 32 KiB window and its own match finder.
 *
 * The one exception to "both backends give identical bytes": compressed streams are not unique,
 * so fflate and zlib produce different (equally valid) compressed bytes — and therefore possibly
 * different `crp_olen` values and "useless" verdicts. Each backend's output inflates to the input
 * under both inflaters, and decompression gives identical bytes (test/framework/xform/deflate.test.ts).
 *
 * Zero-length input throws a {@link DeflateError} with code 'empty-input': FreeBSD's output
 * buffer loop never terminates for size 0 (a kernel hang); cryptosoft maps the error to EINVAL,
 * as it does for a corrupt stream (code 'corrupt').
 *
 * @example
 *   const out = backend.deflateCompress(payload);
 *   const { olen, writeBack } = deflateOutcome(true, payload.length, out);
 */

import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { deflateSync as fflateDeflate, inflateSync as fflateInflate } from 'fflate';
import type { BackendName } from './backend.js';
import { plain } from './openssl.js';

/** FreeBSD's deflateInit2/inflateInit2 parameters (opencrypto/deflate.c). */
export const DEFLATE_LEVEL = 6;
export const DEFLATE_COMPRESS_WINDOW_BITS = 12;
export const DEFLATE_MEM_LEVEL = 8;
export const DEFLATE_DECOMPRESS_WINDOW_BITS = 15;

/** A DEFLATE request that cannot be served; cryptosoft reports EINVAL for both codes. */
export class DeflateError extends Error {
  constructor(readonly code: 'empty-input' | 'corrupt', message: string) {
    super(message);
    this.name = 'DeflateError';
  }
}

/** The DEFLATE functions of a backend. */
export interface DeflateFunctions {
  /**
   * Raw-DEFLATE `data` (not modified) into a new array.
   *
   * @example backend.deflateCompress(new TextEncoder().encode('aaaa'));
   */
  deflateCompress(data: Uint8Array): Uint8Array;
  /**
   * Inflate a raw DEFLATE stream (not modified) into a new array.
   *
   * @example backend.deflateDecompress(backend.deflateCompress(x)); // equals x
   */
  deflateDecompress(data: Uint8Array): Uint8Array;
}

/**
 * cryptosoft's rule (ocf.md §3.7): compressing that does not shrink the data is "useless".
 *
 * @example compressionUseless(100, 104); // true
 */
export function compressionUseless(inputLen: number, compressedLen: number): boolean {
  return compressedLen >= inputLen;
}

/**
 * What cryptosoft does with a (de)compression result of `inputLen` bytes of input: `crp_olen` is
 * always the result's length (even when nothing is copied back); the result is written back at
 * `crd_skip` unless compressing was useless, in which case the data is left untouched and the
 * caller detects it by `crp_olen >= crd_len`.
 *
 * @example
 *   const { olen, writeBack } = deflateOutcome(true, crd_len, compressed);
 */
export function deflateOutcome(compressing: boolean, inputLen: number, result: Uint8Array): { olen: number; writeBack: boolean } {
  return { olen: result.length, writeBack: !(compressing && compressionUseless(inputLen, result.length)) };
}

function checkInput(fn: string, data: Uint8Array): void {
  if (data.length === 0) {
    throw new DeflateError(
      'empty-input',
      `${fn}: zero-length input (FreeBSD's deflate_global never terminates for size 0, ocf.md §3.7; report EINVAL)`,
    );
  }
}

function corrupt(fn: string, e: unknown): DeflateError {
  return new DeflateError('corrupt', `${fn}: invalid raw DEFLATE stream (${e instanceof Error ? e.message : String(e)})`);
}

const fflateSide: DeflateFunctions = {
  deflateCompress(data) {
    checkInput('deflateCompress', data);
    return fflateDeflate(data, { level: DEFLATE_LEVEL });
  },
  deflateDecompress(data) {
    checkInput('deflateDecompress', data);
    try {
      return fflateInflate(data);
    } catch (e) {
      throw corrupt('deflateDecompress', e);
    }
  },
};

const zlibSide: DeflateFunctions = {
  deflateCompress(data) {
    checkInput('deflateCompress', data);
    return plain(deflateRawSync(data, {
      level: DEFLATE_LEVEL,
      windowBits: DEFLATE_COMPRESS_WINDOW_BITS,
      memLevel: DEFLATE_MEM_LEVEL,
    }));
  },
  deflateDecompress(data) {
    checkInput('deflateDecompress', data);
    try {
      return plain(inflateRawSync(data, { windowBits: DEFLATE_DECOMPRESS_WINDOW_BITS }));
    } catch (e) {
      throw corrupt('deflateDecompress', e);
    }
  },
};

/** The pure-JS (fflate) and native (node:zlib) sides, for tests that cross-check them. */
export const DEFLATE_IMPLEMENTATIONS: Readonly<Record<BackendName, DeflateFunctions>> = Object.freeze({
  noble: fflateSide,
  openssl: zlibSide,
});

/** Picks node:zlib when `useNative`, fflate otherwise; records the choice in `report`. */
export function createDeflateFunctions(useNative: boolean, report: Record<string, BackendName>): DeflateFunctions {
  report['CRYPTO_DEFLATE_COMP'] = useNative ? 'openssl' : 'noble';
  return useNative ? zlibSide : fflateSide;
}
