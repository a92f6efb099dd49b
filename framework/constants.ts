/**
 * crypto(9) constants with FreeBSD's values (sys/opencrypto/cryptodev.h, FreeBSD 11 / 2015 head;
 * reference/ocf.md §1). Names are kept exactly so that the manual page reads as this API's
 * documentation.
 */
export {
  EPERM,
  ENOENT,
  EIO,
  E2BIG,
  ENOMEM,
  EFAULT,
  EBUSY,
  ENODEV,
  EINVAL,
  EFBIG,
  EAGAIN,
  EOPNOTSUPP,
  ENOBUFS,
  EBADMSG,
  ERESTART,
  errnoName,
} from '../sim/errno.js';

// §1.1 Symmetric algorithm ids.
export const CRYPTO_DES_CBC = 1;
export const CRYPTO_3DES_CBC = 2;
export const CRYPTO_BLF_CBC = 3;
export const CRYPTO_CAST_CBC = 4;
export const CRYPTO_SKIPJACK_CBC = 5;
export const CRYPTO_MD5_HMAC = 6;
export const CRYPTO_SHA1_HMAC = 7;
export const CRYPTO_RIPEMD160_HMAC = 8;
export const CRYPTO_MD5_KPDK = 9;
export const CRYPTO_SHA1_KPDK = 10;
export const CRYPTO_RIJNDAEL128_CBC = 11;
export const CRYPTO_AES_CBC = 11;
export const CRYPTO_ARC4 = 12;
export const CRYPTO_MD5 = 13;
export const CRYPTO_SHA1 = 14;
export const CRYPTO_NULL_HMAC = 15;
export const CRYPTO_NULL_CBC = 16;
export const CRYPTO_DEFLATE_COMP = 17;
export const CRYPTO_SHA2_256_HMAC = 18;
export const CRYPTO_SHA2_384_HMAC = 19;
export const CRYPTO_SHA2_512_HMAC = 20;
export const CRYPTO_CAMELLIA_CBC = 21;
export const CRYPTO_AES_XTS = 22;
export const CRYPTO_AES_ICM = 23;
export const CRYPTO_AES_NIST_GMAC = 24;
export const CRYPTO_AES_NIST_GCM_16 = 25;
export const CRYPTO_AES_128_NIST_GMAC = 26;
export const CRYPTO_AES_192_NIST_GMAC = 27;
export const CRYPTO_AES_256_NIST_GMAC = 28;
export const CRYPTO_ALGORITHM_MIN = 1;
export const CRYPTO_ALGORITHM_MAX = 28;

/** CRYPTO_ALGO_VALID(x) of the 11.x header. */
export function CRYPTO_ALGO_VALID(x: number): boolean {
  return Number.isInteger(x) && x >= CRYPTO_ALGORITHM_MIN && x <= CRYPTO_ALGORITHM_MAX;
}

/** Names of the algorithm ids, for messages and reports. */
export const CRYPTO_ALG_NAMES: Readonly<Record<number, string>> = {
  1: 'CRYPTO_DES_CBC',
  2: 'CRYPTO_3DES_CBC',
  3: 'CRYPTO_BLF_CBC',
  4: 'CRYPTO_CAST_CBC',
  5: 'CRYPTO_SKIPJACK_CBC',
  6: 'CRYPTO_MD5_HMAC',
  7: 'CRYPTO_SHA1_HMAC',
  8: 'CRYPTO_RIPEMD160_HMAC',
  9: 'CRYPTO_MD5_KPDK',
  10: 'CRYPTO_SHA1_KPDK',
  11: 'CRYPTO_AES_CBC',
  12: 'CRYPTO_ARC4',
  13: 'CRYPTO_MD5',
  14: 'CRYPTO_SHA1',
  15: 'CRYPTO_NULL_HMAC',
  16: 'CRYPTO_NULL_CBC',
  17: 'CRYPTO_DEFLATE_COMP',
  18: 'CRYPTO_SHA2_256_HMAC',
  19: 'CRYPTO_SHA2_384_HMAC',
  20: 'CRYPTO_SHA2_512_HMAC',
  21: 'CRYPTO_CAMELLIA_CBC',
  22: 'CRYPTO_AES_XTS',
  23: 'CRYPTO_AES_ICM',
  24: 'CRYPTO_AES_NIST_GMAC',
  25: 'CRYPTO_AES_NIST_GCM_16',
  26: 'CRYPTO_AES_128_NIST_GMAC',
  27: 'CRYPTO_AES_192_NIST_GMAC',
  28: 'CRYPTO_AES_256_NIST_GMAC',
};

export function cryptoAlgName(alg: number): string {
  return CRYPTO_ALG_NAMES[alg] ?? `algorithm ${alg}`;
}

// §1.2 Asymmetric (keying) operations.
export const CRK_MOD_EXP = 0;
export const CRK_MOD_EXP_CRT = 1;
export const CRK_DSA_SIGN = 2;
export const CRK_DSA_VERIFY = 3;
export const CRK_DH_COMPUTE_KEY = 4;
export const CRK_ALGORITM_MIN = 0;
export const CRK_ALGORITHM_MAX = 4;
export const CRK_MAXPARAM = 8;
export const CRF_MOD_EXP = 1 << CRK_MOD_EXP;
export const CRF_MOD_EXP_CRT = 1 << CRK_MOD_EXP_CRT;
export const CRF_DSA_SIGN = 1 << CRK_DSA_SIGN;
export const CRF_DSA_VERIFY = 1 << CRK_DSA_VERIFY;
export const CRF_DH_COMPUTE_KEY = 1 << CRK_DH_COMPUTE_KEY;

/** (input, output) parameter counts of each CRK_* operation, as /dev/crypto checks them. */
export const CRK_PARAM_COUNTS: Readonly<Record<number, readonly [number, number]>> = {
  [CRK_MOD_EXP]: [3, 1],
  [CRK_MOD_EXP_CRT]: [6, 1],
  [CRK_DSA_SIGN]: [5, 2],
  [CRK_DSA_VERIFY]: [7, 0],
  [CRK_DH_COMPUTE_KEY]: [3, 1],
};

export const CRK_NAMES: Readonly<Record<number, string>> = {
  0: 'CRK_MOD_EXP',
  1: 'CRK_MOD_EXP_CRT',
  2: 'CRK_DSA_SIGN',
  3: 'CRK_DSA_VERIFY',
  4: 'CRK_DH_COMPUTE_KEY',
};

// §1.3 Driver capability flags (also crid selectors).
export const CRYPTOCAP_F_HARDWARE = 0x01000000;
export const CRYPTOCAP_F_SOFTWARE = 0x02000000;
export const CRYPTOCAP_F_SYNC = 0x04000000;
/** Private to crypto.c in FreeBSD: the slot is a tombstone of an unregistered driver. */
export const CRYPTOCAP_F_CLEANUP = 0x80000000;
export const CRYPTO_FLAG_HARDWARE = CRYPTOCAP_F_HARDWARE;
export const CRYPTO_FLAG_SOFTWARE = CRYPTOCAP_F_SOFTWARE;

// Per-algorithm registration flags.
export const CRYPTO_ALG_FLAG_SUPPORTED = 0x01;
export const CRYPTO_ALG_FLAG_RNG_ENABLE = 0x02;
export const CRYPTO_ALG_FLAG_DSA_SHA = 0x04;

// Request flags (crp_flags).
export const CRYPTO_F_IMBUF = 0x0001;
export const CRYPTO_F_IOV = 0x0002;
export const CRYPTO_F_BATCH = 0x0008;
export const CRYPTO_F_CBIMM = 0x0010;
export const CRYPTO_F_DONE = 0x0020;
export const CRYPTO_F_CBIFSYNC = 0x0040;

// Descriptor flags (crd_flags).
export const CRD_F_ENCRYPT = 0x01;
export const CRD_F_IV_PRESENT = 0x02;
export const CRD_F_IV_EXPLICIT = 0x04;
export const CRD_F_DSA_SHA_NEEDED = 0x08;
export const CRD_F_KEY_EXPLICIT = 0x10;
/** Overlaps ENCRYPT, IV_PRESENT, IV_EXPLICIT and DSA_SHA_NEEDED, as in FreeBSD. */
export const CRD_F_COMP = 0x0f;

// crypto_unblock queues, dispatch hints, buffer kinds, operations.
export const CRYPTO_SYMQ = 0x1;
export const CRYPTO_ASYMQ = 0x2;
export const CRYPTO_HINT_MORE = 0x1;
export const CRYPTO_BUF_CONTIG = 0x0;
export const CRYPTO_BUF_IOV = 0x1;
export const CRYPTO_BUF_MBUF = 0x2;
export const CRYPTO_OP_DECRYPT = 0x0;
export const CRYPTO_OP_ENCRYPT = 0x1;

// §1.4 Sizes.
export const CRYPTO_DRIVERS_INITIAL = 4;
export const CRYPTO_SW_SESSIONS = 32;
export const NULL_HASH_LEN = 16;
export const MD5_HASH_LEN = 16;
export const SHA1_HASH_LEN = 20;
export const RIPEMD160_HASH_LEN = 20;
export const SHA2_256_HASH_LEN = 32;
export const SHA2_384_HASH_LEN = 48;
export const SHA2_512_HASH_LEN = 64;
export const MD5_KPDK_HASH_LEN = 16;
export const SHA1_KPDK_HASH_LEN = 20;
export const AES_GMAC_HASH_LEN = 16;
export const AES_HASH_LEN = 16;
export const GMAC_DIGEST_LEN = 16;
export const GMAC_BLOCK_LEN = 16;
export const HASH_MAX_LEN = 64;
export const AALG_MAX_RESULT_LEN = 64;
export const NULL_HMAC_BLOCK_LEN = 64;
export const MD5_HMAC_BLOCK_LEN = 64;
export const SHA1_HMAC_BLOCK_LEN = 64;
export const RIPEMD160_HMAC_BLOCK_LEN = 64;
export const SHA2_256_HMAC_BLOCK_LEN = 64;
export const SHA2_384_HMAC_BLOCK_LEN = 128;
export const SHA2_512_HMAC_BLOCK_LEN = 128;
export const HMAC_MAX_BLOCK_LEN = 128;
export const HMAC_IPAD_VAL = 0x36;
export const HMAC_OPAD_VAL = 0x5c;
export const NULL_HMAC_KEY_LEN = 0;
export const MD5_HMAC_KEY_LEN = 16;
export const SHA1_HMAC_KEY_LEN = 20;
export const RIPEMD160_HMAC_KEY_LEN = 20;
export const SHA2_256_HMAC_KEY_LEN = 32;
export const SHA2_384_HMAC_KEY_LEN = 48;
export const SHA2_512_HMAC_KEY_LEN = 64;
export const AES_128_GMAC_KEY_LEN = 16;
export const AES_192_GMAC_KEY_LEN = 24;
export const AES_256_GMAC_KEY_LEN = 32;
export const NULL_BLOCK_LEN = 4;
export const DES_BLOCK_LEN = 8;
export const DES3_BLOCK_LEN = 8;
export const BLOWFISH_BLOCK_LEN = 8;
export const SKIPJACK_BLOCK_LEN = 8;
export const CAST128_BLOCK_LEN = 8;
export const RIJNDAEL128_BLOCK_LEN = 16;
export const AES_BLOCK_LEN = 16;
export const AES_ICM_BLOCK_LEN = 1;
export const ARC4_BLOCK_LEN = 1;
export const CAMELLIA_BLOCK_LEN = 16;
export const EALG_MAX_BLOCK_LEN = 16;
export const AES_GCM_IV_LEN = 12;
export const AES_XTS_IV_LEN = 8;
export const AES_XTS_ALPHA = 0x87;
export const ARC4_IV_LEN = 1;
export const NULL_MIN_KEY = 0;
export const NULL_MAX_KEY = 256;
export const DES_MIN_KEY = 8;
export const DES_MAX_KEY = 8;
export const TRIPLE_DES_MIN_KEY = 24;
export const TRIPLE_DES_MAX_KEY = 24;
export const BLOWFISH_MIN_KEY = 5;
export const BLOWFISH_MAX_KEY = 56;
export const CAST_MIN_KEY = 5;
export const CAST_MAX_KEY = 16;
export const SKIPJACK_MIN_KEY = 10;
export const SKIPJACK_MAX_KEY = 10;
export const AES_MIN_KEY = 16;
export const AES_MAX_KEY = 32;
export const AES_XTS_MIN_KEY = 32;
export const AES_XTS_MAX_KEY = 64;
export const ARC4_MIN_KEY = 1;
export const ARC4_MAX_KEY = 32;
export const CAMELLIA_MIN_KEY = 8;
export const CAMELLIA_MAX_KEY = 32;
