/**
 * swcr_compdec (sys/opencrypto/cryptosoft.c and deflate.c; reference/ocf.md §3.7): raw DEFLATE
 * over one descriptor's region, CRYPTO_DEFLATE_COMP.
 *
 * - Direction: compress iff any of the low four flag bits is set (CRD_F_COMP = 0x0f overlaps
 *   ENCRYPT, IV_PRESENT, IV_EXPLICIT and DSA_SHA_NEEDED), else decompress.
 * - `crp_olen` = the result's length, always (even when nothing is written back).
 * - "Compression was useless": compressing to >= crd_len bytes leaves the data untouched and
 *   succeeds; the consumer sees crp_olen >= crd_len (IPcomp does this).
 * - Otherwise the result replaces the region, written at crd_skip. A shorter result trims the
 *   buffer: an mbuf chain loses the difference at its tail (m_adj), a uio's iovecs are shortened
 *   from the end; a contiguous buffer is not trimmed. A longer result (decompression) extends an
 *   mbuf chain (m_copyback grows it).
 *
 * One compressor for both backends: cryptosoft always compresses with node:zlib's deflateRawSync
 * with FreeBSD's parameters (level 6, windowBits -12, memLevel 8 — deflate.ts's native side),
 * whichever backend the machine uses. Compressed streams are not unique: fflate would produce
 * other bytes, hence another crp_olen, another "useless" verdict and another simulated timeline.
 * Decompression is unique, so it goes through the machine's backend. (The compressed bytes are
 * those of the zlib bundled with Node; a Node whose zlib matches differently could give another
 * crp_olen. The simulated cost of compressing depends on the input length only.)
 *
 * Difference (each also marked below): a zero-length region is EINVAL (FreeBSD's output loop never
 * terminated: a kernel hang); a result that does not fit a contiguous or uio buffer is EINVAL
 * with nothing written (FreeBSD overran the buffer); crp_olen is still set in that case.
 */
import { CRD_F_COMP, CRYPTO_DEFLATE_COMP, CRYPTO_F_IMBUF, CRYPTO_F_IOV, EINVAL } from './constants.js';
import { checkRegion, type SwcrBuffer, type SwcrContext } from './cryptosoft-context.js';
import { cpbFor } from './swcosts.js';
import type { cryptodesc, cryptop } from './structs.js';
import { DEFLATE_IMPLEMENTATIONS, DeflateError, deflateOutcome } from './xform/deflate.js';
import { m_adj, type mbuf } from '../sim/mbuf.js';
import type { uio } from '../sim/uio.js';

/** The one compressor of cryptosoft (see the file comment): node:zlib with FreeBSD's parameters. */
const compress = DEFLATE_IMPLEMENTATIONS.openssl.deflateCompress;

/** swcr_compdec: (de)compress one descriptor's region. Returns 0 or an errno; sets crp_olen. */
export function swcr_compdec(ctx: SwcrContext, crd: cryptodesc, crp: cryptop, b: SwcrBuffer): number {
  if (checkRegion(b, crd.crd_skip, crd.crd_len) !== 0) return EINVAL;
  // Difference: FreeBSD looped forever on a zero-length input (ocf.md "Top 20" item 14).
  if (crd.crd_len === 0) return EINVAL;
  const compressing = (crd.crd_flags & CRD_F_COMP) !== 0;
  const data = ctx.gather(b, crd.crd_skip, crd.crd_len).data;
  let result: Uint8Array;
  try {
    result = compressing ? compress(data) : ctx.backend.deflateDecompress(data);
  } catch (e) {
    if (e instanceof DeflateError) return EINVAL; // zlib error: FreeBSD's deflate_global failed
    throw e;
  }
  const costs = ctx.costs;
  ctx.charge(compressing ? ctx.algCycles(CRYPTO_DEFLATE_COMP, data.length, 0) : costs.inflate.setup + result.length * cpbFor(costs.inflate, 0));
  const { olen, writeBack } = deflateOutcome(compressing, crd.crd_len, result);
  crp.crp_olen = olen;
  if (!writeBack) return 0;
  const grows = (b.flags & CRYPTO_F_IMBUF) !== 0;
  // Difference: FreeBSD wrote past the end of a contiguous or uio buffer too small for the output.
  if (!grows && crd.crd_skip + result.length > b.len) return EINVAL;
  ctx.scatter(b, crd.crd_skip, result);
  if (result.length < crd.crd_len) trimTail(b, crd.crd_len - result.length);
  return 0;
}

/** Drop `adj` bytes from the end of an mbuf chain or a uio (contiguous buffers keep their size). */
function trimTail(b: SwcrBuffer, adj: number): void {
  if (b.flags & CRYPTO_F_IMBUF) {
    m_adj(b.buf as mbuf, -adj);
  } else if (b.flags & CRYPTO_F_IOV) {
    // FreeBSD's loop: shorten the last iovecs, dropping emptied ones from uio_iovcnt.
    const u = b.buf as uio;
    let ind = u.uio_iovcnt - 1;
    while (adj > 0 && ind >= 0) {
      const iov = u.uio_iov[ind]!;
      if (adj < iov.iov_len) {
        iov.iov_len -= adj;
        break;
      }
      adj -= iov.iov_len;
      iov.iov_len = 0;
      ind--;
      u.uio_iovcnt--;
    }
  }
}
