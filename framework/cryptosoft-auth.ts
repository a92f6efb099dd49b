/**
 * swcr_authcompute (sys/opencrypto/cryptosoft.c; reference/ocf.md §3.6): HMAC, NULL-HMAC, KPDK
 * and the plain hashes over one descriptor's region, with the digest written at `crd_inject`.
 *
 * - The region is fed to the hash piece by piece with crypto_apply (no copy), from the session's
 *   precomputed context (HMAC: key ⊕ ipad / key ⊕ opad states; KPDK: H(key ‖ fill)).
 * - `cri_mlen` truncates HMAC, NULL-HMAC and KPDK digests (0 = whole digest); plain MD5/SHA1
 *   always write the whole digest, and GCM/GMAC tags are handled in cryptosoft-aead.ts.
 * - Nothing is ever verified: cryptosoft only computes and writes (ocf.md "Top 20" item 7).
 * - CRD_F_KEY_EXPLICIT rebuilds the precomputed contexts from crd_key / crd_klen, permanently.
 *
 * Difference (each also marked below): plain MD5 and SHA1 work (their code was under `#ifdef
 * notdef`); NULL-HMAC writes zeros in all its bytes (FreeBSD left 4 bytes of stack); an HMAC or
 * KPDK session without a key and no CRD_F_KEY_EXPLICIT is EINVAL (FreeBSD hashed from an
 * uninitialised context); a digest that would not fit a uio or contiguous buffer is EINVAL.
 */
import { CRYPTO_NULL_HMAC, EINVAL } from './constants.js';
import { crypto_apply } from './criov.js';
import { checkInject, checkRegion, type SwcrBuffer, type SwcrContext } from './cryptosoft-context.js';
import { swcr_rekey } from './cryptosoft-cipher.js';
import type { swcr_data } from './cryptosoft-session.js';
import type { cryptodesc } from './structs.js';
import type { Digest } from './xform/hash.js';
import { truncateMac } from './xform/hmac.js';

/** swcr_authcompute: digest the region and write it at crd_inject. Returns 0 or an errno. */
export function swcr_authcompute(ctx: SwcrContext, crd: cryptodesc, sw: swcr_data, b: SwcrBuffer): number {
  const info = sw.info;
  if (checkRegion(b, crd.crd_skip, crd.crd_len) !== 0) return EINVAL;
  const full = info.hashLen ?? 0;
  const outLen = info.kind === 'hash' || sw.sw_mlen === 0 ? full : sw.sw_mlen;
  // Difference: a digest past the end of a uio or contiguous buffer is EINVAL (FreeBSD overran it).
  if (checkInject(b, crd.crd_inject, outLen) !== 0) return EINVAL;
  const isNull = sw.sw_alg === CRYPTO_NULL_HMAC;
  if (!isNull && info.kind !== 'hash') {
    const rekey = swcr_rekey(ctx, crd, sw);
    if (rekey !== 0) return rekey;
    // Difference: FreeBSD hashed from an uninitialised context when the session had no key.
    if (!sw.keyed) return EINVAL;
  }

  ctx.charge(ctx.algCycles(sw.sw_alg, crd.crd_len, 0));
  let digest: Uint8Array;
  if (isNull) {
    // Difference: all 16 bytes are zero (FreeBSD zeroed 12 and left 4 bytes of stack).
    digest = new Uint8Array(full);
  } else {
    // Collect the region's pieces (views, no copy): one piece — a contiguous buffer, or a region
    // inside one segment — goes through the backend's one-shot call, the fast path; several are
    // fed to an incremental digest cloned from the precomputed context.
    const view = ctx.view(b, crd.crd_skip, crd.crd_len);
    if (view !== null) {
      digest = oneShot(ctx, sw, view);
    } else {
      const pieces: Uint8Array[] = [];
      crypto_apply(b.flags, b.buf, crd.crd_skip, crd.crd_len, (piece) => {
        pieces.push(piece);
        return 0;
      }, ctx.mem);
      digest = pieces.length === 1 ? oneShot(ctx, sw, pieces[0]!) : incremental(ctx, sw, pieces);
    }
  }
  const out = info.kind === 'hash' ? digest : truncateMac(digest, sw.sw_mlen);
  ctx.write(b, crd.crd_inject, out);
  return 0;
}

function oneShot(ctx: SwcrContext, sw: swcr_data, data: Uint8Array): Uint8Array {
  switch (sw.info.kind) {
    case 'hmac':
      return sw.sw_hmac!.mac(data);
    case 'kpdk':
      return sw.sw_kpdk!.mac(data);
    default:
      return ctx.backend.hash(sw.info.hash!, data);
  }
}

function incremental(ctx: SwcrContext, sw: swcr_data, pieces: readonly Uint8Array[]): Uint8Array {
  let d: Digest;
  switch (sw.info.kind) {
    case 'hmac':
      d = sw.sw_hmac!.create();
      break;
    case 'kpdk':
      d = sw.sw_kpdk!.create();
      break;
    default:
      d = ctx.backend.createHash(sw.info.hash!);
  }
  for (const p of pieces) d.update(p);
  return d.digest();
}
