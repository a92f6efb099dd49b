/**
 * The Hifn packet engine's arithmetic: what one parsed command does to the bytes it fetched. The
 * crypto is real (framework/xform: the same code cryptosoft uses), so results are bit-exact; the
 * time it takes is timing.ts's business.
 *
 * Semantics (hw.md §2.4, hifn7751reg.h): the chip copies the source stream to the destination,
 * transforming the crypt region [crypt.headerSkip, +crypt.sourceCount) in place, and computes the
 * MAC over [mac.headerSkip, +mac.sourceCount). With MAC_CMD_POS_IPSEC the MAC covers the
 * ciphertext: after encryption on encode, before decryption on decode (ESP order). TRUNC gives a
 * 96-bit MAC.
 *
 * Not modelled (the command completes with the data passed through and PUISR.CMDINVAL set): ECB,
 * CFB and OFB modes, SSL-MAC, compression (LZS/MPPC), and commands that reuse a key or IV from
 * context RAM instead of carrying them (FreeBSD always sends both). A crypt length that is not a
 * whole number of blocks is processed up to the last whole block (the driver never sends one).
 *
 * @example
 *   const r = hifnRun(backend, parsed.cmd, srcBytes, true);
 *   r.out; r.mac; r.invalid;
 */
import { CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_DES_CBC, CRYPTO_MD5_HMAC, CRYPTO_SHA1_HMAC } from '../../framework/constants.js';
import type { CryptoBackend } from '../../framework/xform/backend.js';
import {
  HIFN_BASE_CMD_COMP,
  HIFN_BASE_CMD_CRYPT,
  HIFN_BASE_CMD_DECODE,
  HIFN_BASE_CMD_MAC,
  HIFN_CRYPT_CMD_ALG_3DES,
  HIFN_CRYPT_CMD_ALG_AES,
  HIFN_CRYPT_CMD_ALG_DES,
  HIFN_CRYPT_CMD_ALG_MASK,
  HIFN_CRYPT_CMD_ALG_RC4,
  HIFN_CRYPT_CMD_MODE_CBC,
  HIFN_CRYPT_CMD_MODE_MASK,
  HIFN_CRYPT_CMD_NEW_IV,
  HIFN_CRYPT_CMD_NEW_KEY,
  HIFN_MAC_CMD_ALG_MASK,
  HIFN_MAC_CMD_ALG_MD5,
  HIFN_MAC_CMD_MODE_HASH,
  HIFN_MAC_CMD_MODE_HMAC,
  HIFN_MAC_CMD_MODE_MASK,
  HIFN_MAC_CMD_NEW_KEY,
  HIFN_MAC_CMD_TRUNC,
  HIFN_MAC_TRUNC_LENGTH,
  type HifnCommand,
} from './command.js';

export interface HifnRunResult {
  /** The destination stream: the source with the crypt region transformed. */
  out: Uint8Array;
  /** The MAC the result buffer gets (12 bytes with TRUNC), or null without MAC_CMD_RESULT. */
  mac: Uint8Array | null;
  /** The command asked for something this model does not do, or crypto is locked. */
  invalid: string | null;
}

/**
 * Run one command on `src`. `cryptoEnabled` is false while the chip's enable level is ENA_0
 * (locked: compression only); `strong` false at ENA_1 (DES and the MACs only).
 */
export function hifnRun(backend: CryptoBackend, cmd: HifnCommand, src: Uint8Array, cryptoEnabled: boolean, strong = true, hasAes = true): HifnRunResult {
  const out = src.slice();
  const fail = (why: string): HifnRunResult => ({ out, mac: null, invalid: why });
  if (cmd.baseMasks & HIFN_BASE_CMD_COMP) return fail('compression is not modelled');
  const useCrypt = (cmd.baseMasks & HIFN_BASE_CMD_CRYPT) !== 0 && cmd.crypt !== undefined;
  const useMac = (cmd.baseMasks & HIFN_BASE_CMD_MAC) !== 0 && cmd.mac !== undefined;
  if ((useCrypt || useMac) && !cryptoEnabled) return fail('crypto is locked (enable level ENA_0)');
  const decode = (cmd.baseMasks & HIFN_BASE_CMD_DECODE) !== 0;

  let cipher: ((region: Uint8Array) => void) | null = null;
  if (useCrypt) {
    const c = cmd.crypt!;
    if (!(c.masks & HIFN_CRYPT_CMD_NEW_KEY) || !c.key) return fail('no key in the command (context RAM keys are not modelled)');
    const alg = c.masks & HIFN_CRYPT_CMD_ALG_MASK;
    if (alg !== HIFN_CRYPT_CMD_ALG_DES && !strong) return fail('3DES, RC4 and AES need enable level ENA_2');
    if (alg === HIFN_CRYPT_CMD_ALG_AES && !hasAes) return fail('no AES unit on this part');
    if (alg === HIFN_CRYPT_CMD_ALG_RC4) {
      const key = c.key;
      cipher = (region) => backend.arc4(key, region);
    } else {
      if ((c.masks & HIFN_CRYPT_CMD_MODE_MASK) !== HIFN_CRYPT_CMD_MODE_CBC) return fail('only CBC mode is modelled');
      if (!(c.masks & HIFN_CRYPT_CMD_NEW_IV) || !c.iv) return fail('no IV in the command (context RAM IVs are not modelled)');
      const ocf = alg === HIFN_CRYPT_CMD_ALG_DES ? CRYPTO_DES_CBC : alg === HIFN_CRYPT_CMD_ALG_3DES ? CRYPTO_3DES_CBC : CRYPTO_AES_CBC;
      const bs = alg === HIFN_CRYPT_CMD_ALG_AES ? 16 : 8;
      const key = c.key;
      const iv = c.iv;
      cipher = (region) => {
        const whole = region.subarray(0, region.length - (region.length % bs));
        const k = backend.cbcKey(ocf, key);
        try {
          if (decode) k.decrypt(iv.slice(), whole);
          else k.encrypt(iv.slice(), whole);
        } finally {
          k.wipe();
        }
      };
    }
  }

  let mac: (() => Uint8Array) | null = null;
  if (useMac) {
    const m = cmd.mac!;
    const md5 = (m.masks & HIFN_MAC_CMD_ALG_MASK) === HIFN_MAC_CMD_ALG_MD5;
    const mode = m.masks & HIFN_MAC_CMD_MODE_MASK;
    const region = (): Uint8Array => out.subarray(m.headerSkip, Math.min(out.length, m.headerSkip + m.sourceCount));
    if (mode === HIFN_MAC_CMD_MODE_HASH) {
      mac = () => backend.hash(md5 ? 'md5' : 'sha1', region());
    } else if (mode === HIFN_MAC_CMD_MODE_HMAC) {
      if (!(m.masks & HIFN_MAC_CMD_NEW_KEY) || !m.key) return fail('no MAC key in the command (context RAM keys are not modelled)');
      const key = m.key;
      mac = () => {
        const k = backend.hmacKey(md5 ? CRYPTO_MD5_HMAC : CRYPTO_SHA1_HMAC, key);
        try {
          return k.mac(region());
        } finally {
          k.wipe();
        }
      };
    } else {
      return fail('SSL-MAC is not modelled');
    }
    if (m.masks & HIFN_MAC_CMD_TRUNC) {
      const full = mac;
      mac = () => full().slice(0, HIFN_MAC_TRUNC_LENGTH);
    }
  }

  const crypt = (): void => {
    if (!cipher) return;
    const c = cmd.crypt!;
    cipher(out.subarray(c.headerSkip, Math.min(out.length, c.headerSkip + c.sourceCount)));
  };
  let digest: Uint8Array | null = null;
  // ESP order either way: the MAC sees ciphertext.
  if (decode) {
    if (mac) digest = mac();
    crypt();
  } else {
    crypt();
    if (mac) digest = mac();
  }
  return { out, mac: digest, invalid: null };
}
