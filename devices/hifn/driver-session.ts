/**
 * hifn_newsession and hifn_freesession (hifn7751.c). Sessions live on the host only: FreeBSD sends
 * keys with every command and never uses the chip's context RAM, so a session is {used, mlen, iv}.
 * Freeing one zeroes it (FreeBSD's bzero), the IV included.
 *
 * Deliberate differences: an HMAC key longer than the chip's 64-byte MAC key field, an mlen longer
 * than the digest, and a 2049th session (the SID keeps 11 bits of index) are refused.
 */
import {
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_ARC4,
  CRYPTO_DES_CBC,
  CRYPTO_MD5,
  CRYPTO_MD5_HMAC,
  CRYPTO_SHA1,
  CRYPTO_SHA1_HMAC,
  EINVAL,
  ENOMEM,
} from '../../framework/constants.js';
import type { cryptoini } from '../../framework/structs.js';
import { HIFN_MAC_KEY_LENGTH } from './command.js';
import { HIFN_HAS_AES, HIFN_MAX_SESSIONS, HIFN_SESSION, HIFN_SID, type HifnSoftc } from './driver-softc.js';

export const isMac = (alg: number): boolean => alg === CRYPTO_MD5 || alg === CRYPTO_SHA1 || alg === CRYPTO_MD5_HMAC || alg === CRYPTO_SHA1_HMAC;
export const isCipher = (alg: number): boolean => alg === CRYPTO_DES_CBC || alg === CRYPTO_3DES_CBC || alg === CRYPTO_AES_CBC || alg === CRYPTO_ARC4;

/** hifn_newsession. */
export function hifn_newsession(sc: HifnSoftc, sidp: { lid: number }, cri: cryptoini | null): number {
  if (!cri) return EINVAL;
  let sesn = sc.sc_sessions.findIndex((s) => !s.hs_used);
  if (sesn < 0) {
    // Difference: FreeBSD grew the array past 2048 and the 11-bit SID field then aliased sessions.
    if (sc.sc_sessions.length >= HIFN_MAX_SESSIONS) return ENOMEM;
    sesn = sc.sc_sessions.length;
    sc.sc_sessions.push({ hs_used: false, hs_mlen: 0, hs_iv: new Uint8Array(16) });
  }
  const ses = sc.sc_sessions[sesn]!;
  let mac = false;
  let cry = false;
  let mlen = 0;
  for (let c: cryptoini | null = cri; c; c = c.cri_next) {
    if (isMac(c.cri_alg)) {
      if (mac) return EINVAL;
      mac = true;
      mlen = c.cri_mlen || (c.cri_alg === CRYPTO_MD5 || c.cri_alg === CRYPTO_MD5_HMAC ? 16 : 20);
      if (mlen > (c.cri_alg === CRYPTO_MD5 || c.cri_alg === CRYPTO_MD5_HMAC ? 16 : 20)) return EINVAL;
      if ((c.cri_alg === CRYPTO_MD5_HMAC || c.cri_alg === CRYPTO_SHA1_HMAC) && c.cri_klen > HIFN_MAC_KEY_LENGTH * 8) return EINVAL;
    } else if (isCipher(c.cri_alg)) {
      if (cry) return EINVAL;
      if (c.cri_alg === CRYPTO_AES_CBC && !(sc.sc_flags & HIFN_HAS_AES)) return EINVAL;
      cry = true;
    } else {
      return EINVAL;
    }
  }
  if (!mac && !cry) return EINVAL;
  ses.hs_used = true;
  ses.hs_mlen = mlen;
  // read_random(ses->hs_iv): the IV for requests without an explicit one.
  ses.hs_iv.set(sc.prng ? sc.prng.bytes(16) : new Uint8Array(16));
  sidp.lid = HIFN_SID(sc.dev.unit, sesn);
  return 0;
}

/** hifn_freesession: the slot, and its IV, are zeroed (FreeBSD's bzero). */
export function hifn_freesession(sc: HifnSoftc, sid: bigint): number {
  const session = HIFN_SESSION(sid);
  const ses = sc.sc_sessions[session];
  if (!ses) return EINVAL;
  ses.hs_used = false;
  ses.hs_mlen = 0;
  ses.hs_iv.fill(0);
  return 0;
}
