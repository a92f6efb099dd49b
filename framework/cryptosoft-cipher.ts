/**
 * swcr_encdec (sys/opencrypto/cryptosoft.c; reference/ocf.md §3.1-§3.4): one cipher descriptor —
 * the CBC block ciphers, AES-XTS, AES-ICM and ARC4 — over the region [crd_skip, crd_skip + crd_len).
 *
 * IV rules (ocf.md §3.1), for every cipher with an IV:
 * - encrypt: IV = `crd_iv` if CRD_F_IV_EXPLICIT, else fresh bytes from the machine PRNG
 *   (arc4rand); unless CRD_F_IV_PRESENT the IV is written at `crd_inject`, *before* the region is
 *   encrypted (as FreeBSD does, so an inject inside the region is encrypted over);
 * - decrypt: IV = `crd_iv` if CRD_F_IV_EXPLICIT, else read at `crd_inject` before decrypting.
 * IV sizes: the block size for CBC, 8 for XTS (the data-unit number, tweak = iv ‖ 0^8), 16 for ICM
 * (the whole initial counter block, explicit IV mandatory: EINVAL). ARC4 has no IV at all (no IV is
 * generated, written or read: FreeBSD's cryptosoft had no ARC4, and the cipher has none).
 *
 * Length rule: crd_len % blocksize == 0, else EINVAL (CBC ciphers, XTS); ICM and ARC4 take any
 * length (Difference for ICM, see cryptosoft-session.ts).
 *
 * CRD_F_KEY_EXPLICIT rekeys the session from crd_key / crd_klen, permanently (ocf.md §3.2).
 *
 * Difference (each also marked below): checks happen before anything is written (FreeBSD wrote the IV and
 * then could fail in setkey); a session without a key and no CRD_F_KEY_EXPLICIT is EINVAL (FreeBSD
 * used a NULL key schedule); an explicit IV shorter than the IV size is EINVAL.
 */
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRD_F_KEY_EXPLICIT,
  EINVAL,
} from './constants.js';
import { checkInject, checkRegion, type SwcrBuffer, type SwcrContext } from './cryptosoft-context.js';
import { swcr_setkey, type swcr_data } from './cryptosoft-session.js';
import type { cryptodesc } from './structs.js';

/** Rekey from the descriptor when it asks for it (CRD_F_KEY_EXPLICIT); 0 or EINVAL. */
export function swcr_rekey(ctx: SwcrContext, crd: cryptodesc, sw: swcr_data): number {
  if ((crd.crd_flags & CRD_F_KEY_EXPLICIT) === 0) return 0;
  if (crd.crd_key === null) return EINVAL;
  const err = swcr_setkey(ctx.backend, sw, crd.crd_key, crd.crd_klen);
  if (err === 0) ctx.charge(ctx.costs.alg[sw.sw_alg]?.keySetup ?? 0);
  return err;
}

/** swcr_encdec: encrypt or decrypt one descriptor's region in place. Returns 0 or an errno. */
export function swcr_encdec(ctx: SwcrContext, crd: cryptodesc, sw: swcr_data, b: SwcrBuffer): number {
  const info = sw.info;
  const flags = crd.crd_flags;
  const encrypt = (flags & CRD_F_ENCRYPT) !== 0;
  if (checkRegion(b, crd.crd_skip, crd.crd_len) !== 0) return EINVAL;
  if (crd.crd_len % info.blocksize !== 0) return EINVAL;
  if (info.kind === 'icm' && (flags & CRD_F_IV_EXPLICIT) === 0) return EINVAL;
  const ivlen = info.ivsize;
  let iv: Uint8Array | null = null;
  if (ivlen > 0) {
    if (flags & CRD_F_IV_EXPLICIT) {
      iv = ctx.explicitIv(crd.crd_iv, ivlen);
      // FreeBSD's crd_iv was a fixed 16-byte array; a Uint8Array can be short.
      if (iv === null) return EINVAL;
    }
    const writeIv = encrypt && (flags & CRD_F_IV_PRESENT) === 0;
    const readIv = !encrypt && iv === null;
    if (writeIv && checkInject(b, crd.crd_inject, ivlen) !== 0) return EINVAL;
    if (readIv && checkRegion(b, crd.crd_inject, ivlen) !== 0) return EINVAL;
  }
  // Difference: the key is settled before the IV is written (FreeBSD wrote it, then could fail
  // in setkey), and a keyless session is EINVAL (FreeBSD used a NULL key schedule).
  const rekey = swcr_rekey(ctx, crd, sw);
  if (rekey !== 0) return rekey;
  if (!sw.keyed) return EINVAL;

  if (ivlen > 0) {
    if (encrypt) {
      if (iv === null) iv = ctx.randomIv(ivlen);
      if ((flags & CRD_F_IV_PRESENT) === 0) ctx.write(b, crd.crd_inject, iv);
    } else if (iv === null) {
      iv = ctx.read(b, crd.crd_inject, ivlen);
    }
  }

  const region = ctx.gather(b, crd.crd_skip, crd.crd_len);
  const data = region.data;
  ctx.charge(ctx.algCycles(sw.sw_alg, data.length, sw.sw_klen));
  switch (info.kind) {
    case 'cbc': {
      const k = sw.sw_kschedule!;
      if (encrypt) k.encrypt(iv!, data);
      else k.decrypt(iv!, data);
      break;
    }
    case 'xts':
      if (encrypt) ctx.backend.aesXtsEncrypt(sw.sw_key!, iv!, data);
      else ctx.backend.aesXtsDecrypt(sw.sw_key!, iv!, data);
      break;
    case 'icm':
      ctx.backend.aesIcm(sw.sw_key!, iv!, data);
      break;
    case 'arc4':
      ctx.backend.arc4(sw.sw_key!, data);
      break;
    default:
      return EINVAL;
  }
  ctx.commit(b, region);
  return 0;
}
