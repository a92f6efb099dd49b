/**
 * swcr_authenc (sys/opencrypto/cryptosoft.c, FreeBSD 11; reference/ocf.md §3.5): AES-GCM and
 * AES-GMAC, the two-descriptor construction. One call handles the whole request:
 *
 * 1. The request's descriptors must be exactly a cipher side — CRYPTO_AES_NIST_GCM_16 (25) or
 *    CRYPTO_AES_NIST_GMAC (24) — and a MAC side, CRYPTO_AES_{128,192,256}_NIST_GMAC (26-28); any
 *    other algorithm, or a missing side, is EINVAL.
 * 2. GCM needs CRD_F_IV_EXPLICIT (EINVAL); both descriptors' crd_klen must be equal (EINVAL).
 * 3. The 12-byte IV follows the CBC rules on the *cipher* descriptor: explicit or generated,
 *    written at its crd_inject on encrypt unless CRD_F_IV_PRESENT, read from there on decrypt.
 * 4. The MAC descriptor's region is the AAD; its crd_inject is where the 16-byte tag is written
 *    (encrypt) or read and compared (decrypt). `cri_mlen` is ignored: always 16 bytes.
 * 5. H and the tag mask come from the MAC key, the keystream (counter iv ‖ 00000002) from the
 *    cipher key; with equal keys that is standard GCM. A bad tag is EBADMSG and the buffer keeps
 *    its ciphertext.
 * CRD_F_KEY_EXPLICIT is ignored on this path, as in FreeBSD.
 *
 * Difference: GMAC's cipher side with a non-empty region is EINVAL (FreeBSD called
 * a NULL encrypt function); a side without a key is EINVAL (FreeBSD used a NULL schedule).
 */
import { CRD_F_ENCRYPT, CRD_F_IV_EXPLICIT, CRD_F_IV_PRESENT, EBADMSG, EINVAL } from './constants.js';
import { checkInject, checkRegion, type SwcrBuffer, type SwcrContext, type SwcrRegion } from './cryptosoft-context.js';
import { swcr_find, type swcr_data } from './cryptosoft-session.js';
import type { cryptodesc, cryptop } from './structs.js';

const GCM_IV_LEN = 12;
const GMAC_TAG_LEN = 16;
const EMPTY = new Uint8Array(0);

/** swcr_authenc: GCM/GMAC over the request's two descriptors. Returns 0 or an errno. */
export function swcr_authenc(ctx: SwcrContext, crp: cryptop, session: readonly swcr_data[], b: SwcrBuffer): number {
  let crde: cryptodesc | null = null;
  let crda: cryptodesc | null = null;
  let swe: swcr_data | null = null;
  let swa: swcr_data | null = null;
  for (let crd = crp.crp_desc; crd !== null; crd = crd.crd_next) {
    const sw = swcr_find(session, crd.crd_alg);
    if (sw === null) return EINVAL;
    const kind = sw.info.kind;
    if (kind === 'gcm' || kind === 'gmac') {
      crde = crd;
      swe = sw;
    } else if (kind === 'gmac-auth') {
      crda = crd;
      swa = sw;
    } else {
      return EINVAL;
    }
  }
  if (crde === null || crda === null || swe === null || swa === null) return EINVAL;
  const gmacOnly = swe.info.kind === 'gmac';
  const flags = crde.crd_flags;
  const encrypt = (flags & CRD_F_ENCRYPT) !== 0;
  if (!gmacOnly && (flags & CRD_F_IV_EXPLICIT) === 0) return EINVAL;
  if (crde.crd_klen !== crda.crd_klen) return EINVAL;
  if (checkRegion(b, crde.crd_skip, crde.crd_len) !== 0 || checkRegion(b, crda.crd_skip, crda.crd_len) !== 0) return EINVAL;
  // Difference: FreeBSD called GMAC's NULL encrypt function on a non-empty region.
  if (gmacOnly && crde.crd_len !== 0) return EINVAL;
  const macKey = swa.sw_key;
  const cipherKey = gmacOnly ? null : swe.sw_key;
  // Difference: a keyless side is EINVAL (FreeBSD used a NULL key schedule).
  if (macKey === null || (!gmacOnly && cipherKey === null)) return EINVAL;

  let iv: Uint8Array | null = null;
  if (flags & CRD_F_IV_EXPLICIT) {
    iv = ctx.explicitIv(crde.crd_iv, GCM_IV_LEN);
    if (iv === null) return EINVAL;
  }
  const writeIv = encrypt && (flags & CRD_F_IV_PRESENT) === 0;
  if (writeIv && checkInject(b, crde.crd_inject, GCM_IV_LEN) !== 0) return EINVAL;
  if (!encrypt && iv === null && checkRegion(b, crde.crd_inject, GCM_IV_LEN) !== 0) return EINVAL;
  if (encrypt ? checkInject(b, crda.crd_inject, GMAC_TAG_LEN) !== 0 : checkRegion(b, crda.crd_inject, GMAC_TAG_LEN) !== 0) return EINVAL;

  if (encrypt) {
    if (iv === null) iv = ctx.randomIv(GCM_IV_LEN);
    if (writeIv) ctx.write(b, crde.crd_inject, iv);
  } else if (iv === null) {
    iv = ctx.read(b, crde.crd_inject, GCM_IV_LEN);
  }

  // FreeBSD hashes the AAD before it touches the payload: an AAD overlapping the payload region
  // must be the bytes from before, so it is copied then. An empty payload (GMAC) overlaps nothing.
  const overlap = crde.crd_len > 0 && crda.crd_skip < crde.crd_skip + crde.crd_len && crde.crd_skip < crda.crd_skip + crda.crd_len;
  const aad = ctx.readRegion(b, crda.crd_skip, crda.crd_len, overlap);
  // GMAC's empty payload is charged as a gather and a commit like any other, and never looked at.
  const region = crde.crd_len > 0 ? ctx.gather(b, crde.crd_skip, crde.crd_len) : null;
  const data = region === null ? EMPTY : region.data;
  if (region === null) ctx.chargeCopy(0);
  ctx.charge(ctx.algCycles(swe.sw_alg, data.length, swe.sw_klen) + ctx.algCycles(swa.sw_alg, aad.length, swa.sw_klen));
  const be = ctx.backend;
  const sameKey = cipherKey !== null && bytesEqual(cipherKey, macKey);
  if (encrypt) {
    let tag: Uint8Array;
    if (cipherKey === null) {
      tag = be.aesGmac(macKey, iv, aad);
    } else if (sameKey) {
      tag = be.aesGcmEncrypt(cipherKey, iv, aad, data);
    } else {
      be.aesIcm(cipherKey, counterBlock(iv), data);
      tag = be.aesGcmTag(macKey, iv, aad, data);
    }
    commit(ctx, b, region);
    ctx.write(b, crda.crd_inject, tag);
    return 0;
  }
  const received = ctx.read(b, crda.crd_inject, GMAC_TAG_LEN);
  let ok: boolean;
  if (cipherKey === null) {
    ok = be.aesGcmDecrypt(macKey, iv, aad, data, received);
  } else if (sameKey) {
    ok = be.aesGcmDecrypt(cipherKey, iv, aad, data, received);
  } else {
    ok = bytesEqual(be.aesGcmTag(macKey, iv, aad, data), received);
    if (ok) be.aesIcm(cipherKey, counterBlock(iv), data);
  }
  // A forged or corrupted message: the buffer still holds the ciphertext.
  if (!ok) return EBADMSG;
  commit(ctx, b, region);
  return 0;
}

/** Commit the payload, or charge the commit of GMAC's empty one. */
function commit(ctx: SwcrContext, b: SwcrBuffer, region: SwcrRegion | null): void {
  if (region === null) ctx.chargeCopy(0);
  else ctx.commit(b, region);
}

/** The first keystream counter block of GCM: iv ‖ 00000002 (SP 800-38D §7.1; ocf.md §3.5 step 5). */
function counterBlock(iv: Uint8Array): Uint8Array {
  const ctr = new Uint8Array(16);
  ctr.set(iv);
  ctr[15] = 2;
  return ctr;
}

/** Constant-time comparison (FreeBSD's timingsafe_bcmp for the tag). */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
