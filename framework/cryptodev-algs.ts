/**
 * What /dev/crypto accepts in a session (sys/opencrypto/cryptodev.c, FreeBSD 11 / 2015 head;
 * reference/ocf.md §5.4 and the sizes of §1.4): the `enc_xform` facts it uses for ciphers (block
 * size, key byte range) and the `auth_hash` facts for MACs (exact key size, hash size copied out).
 *
 * Not accepted, as in 2015: CRYPTO_AES_NIST_GMAC (24), DEFLATE, KPDK and the plain MD5/SHA1 hashes
 * (compiled out under `#ifdef notdef`). Their absence here is what makes CIOCGSESSION say EINVAL.
 */
import {
  CRYPTO_3DES_CBC,
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_192_NIST_GMAC,
  CRYPTO_AES_256_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_ICM,
  CRYPTO_AES_NIST_GCM_16,
  CRYPTO_AES_XTS,
  CRYPTO_ARC4,
  CRYPTO_BLF_CBC,
  CRYPTO_CAMELLIA_CBC,
  CRYPTO_CAST_CBC,
  CRYPTO_DES_CBC,
  CRYPTO_MD5_HMAC,
  CRYPTO_NULL_CBC,
  CRYPTO_NULL_HMAC,
  CRYPTO_RIPEMD160_HMAC,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA2_256_HMAC,
  CRYPTO_SHA2_384_HMAC,
  CRYPTO_SHA2_512_HMAC,
  CRYPTO_SKIPJACK_CBC,
} from './constants.js';

/** The parts of a cipher's `struct enc_xform` that /dev/crypto reads. */
export interface CryptodevCipher {
  readonly alg: number;
  readonly name: string;
  /** `len % blocksize` must be 0; also the size of an in-band IV and of an `iv` copy-in. */
  readonly blocksize: number;
  readonly minkey: number;
  readonly maxkey: number;
}

/** The parts of a MAC's `struct auth_hash` that /dev/crypto reads. */
export interface CryptodevMac {
  readonly alg: number;
  readonly name: string;
  /** `mackeylen` must equal this exactly (2015; later kernels allowed up to it). */
  readonly keysize: number;
  /** Bytes reserved after the data and copied out to `mac` / `tag`. */
  readonly hashsize: number;
}

const cipher = (alg: number, name: string, blocksize: number, minkey: number, maxkey: number): CryptodevCipher =>
  Object.freeze({ alg, name, blocksize, minkey, maxkey });
const mac = (alg: number, name: string, keysize: number, hashsize: number): CryptodevMac => Object.freeze({ alg, name, keysize, hashsize });

/** CIOCGSESSION's cipher switch: the accepted ciphers with enc_xform's block size and key range. */
export const CRYPTODEV_CIPHERS: ReadonlyMap<number, CryptodevCipher> = new Map([
  [CRYPTO_DES_CBC, cipher(CRYPTO_DES_CBC, 'DES-CBC', 8, 8, 8)],
  [CRYPTO_3DES_CBC, cipher(CRYPTO_3DES_CBC, '3DES-CBC', 8, 24, 24)],
  [CRYPTO_BLF_CBC, cipher(CRYPTO_BLF_CBC, 'Blowfish-CBC', 8, 5, 56)],
  [CRYPTO_CAST_CBC, cipher(CRYPTO_CAST_CBC, 'CAST-128-CBC', 8, 5, 16)],
  [CRYPTO_SKIPJACK_CBC, cipher(CRYPTO_SKIPJACK_CBC, 'Skipjack-CBC', 8, 10, 10)],
  [CRYPTO_AES_CBC, cipher(CRYPTO_AES_CBC, 'AES-CBC', 16, 16, 32)],
  [CRYPTO_AES_XTS, cipher(CRYPTO_AES_XTS, 'AES-XTS', 16, 32, 64)],
  [CRYPTO_NULL_CBC, cipher(CRYPTO_NULL_CBC, 'NULL', 4, 0, 256)],
  [CRYPTO_ARC4, cipher(CRYPTO_ARC4, 'ARC4', 1, 1, 32)],
  [CRYPTO_CAMELLIA_CBC, cipher(CRYPTO_CAMELLIA_CBC, 'Camellia-CBC', 16, 8, 32)],
  // 11.x software blocksize is 16 for ICM, so /dev/crypto lengths are whole blocks.
  [CRYPTO_AES_ICM, cipher(CRYPTO_AES_ICM, 'AES-ICM', 16, 16, 32)],
  // GCM's enc_xform blocksize is 1: CIOCCRYPT copies a 1-byte IV (ocf.md §5.5 item 8).
  [CRYPTO_AES_NIST_GCM_16, cipher(CRYPTO_AES_NIST_GCM_16, 'AES-GCM', 1, 16, 32)],
]);

/** CIOCGSESSION's mac switch: the accepted MACs with auth_hash's key size and hash size. */
export const CRYPTODEV_MACS: ReadonlyMap<number, CryptodevMac> = new Map([
  [CRYPTO_MD5_HMAC, mac(CRYPTO_MD5_HMAC, 'HMAC-MD5', 16, 16)],
  [CRYPTO_SHA1_HMAC, mac(CRYPTO_SHA1_HMAC, 'HMAC-SHA1', 20, 20)],
  [CRYPTO_RIPEMD160_HMAC, mac(CRYPTO_RIPEMD160_HMAC, 'HMAC-RIPEMD-160', 20, 20)],
  [CRYPTO_SHA2_256_HMAC, mac(CRYPTO_SHA2_256_HMAC, 'HMAC-SHA2-256', 32, 32)],
  [CRYPTO_SHA2_384_HMAC, mac(CRYPTO_SHA2_384_HMAC, 'HMAC-SHA2-384', 48, 48)],
  [CRYPTO_SHA2_512_HMAC, mac(CRYPTO_SHA2_512_HMAC, 'HMAC-SHA2-512', 64, 64)],
  [CRYPTO_AES_128_NIST_GMAC, mac(CRYPTO_AES_128_NIST_GMAC, 'GMAC-AES-128', 16, 16)],
  [CRYPTO_AES_192_NIST_GMAC, mac(CRYPTO_AES_192_NIST_GMAC, 'GMAC-AES-192', 24, 16)],
  [CRYPTO_AES_256_NIST_GMAC, mac(CRYPTO_AES_256_NIST_GMAC, 'GMAC-AES-256', 32, 16)],
  [CRYPTO_NULL_HMAC, mac(CRYPTO_NULL_HMAC, 'NULL-HMAC', 0, 16)],
]);
