/**
 * cryptosoft's sessions (sys/opencrypto/cryptosoft.c: swcr_newsession, swcr_freesession and the
 * `swcr_sessions` array; reference/ocf.md §3, §6): what each algorithm needs per session, key
 * schedules built once, and the session table whose lids are small integers.
 *
 * Session table, as FreeBSD's: slot 0 is never used; a new session takes the lowest free slot
 * from 1; the array starts at CRYPTO_SW_SESSIONS (32) entries and doubles when full. A session is
 * a list of per-algorithm states (`swcr_data`) in cryptoini order; duplicates are accepted and the
 * first one of an algorithm is the one requests use.
 *
 * Keys: `cri_klen` is in bits and `cri_klen / 8` bytes of `cri_key` are used. A null `cri_key`
 * skips key set-up (requests must then carry CRD_F_KEY_EXPLICIT). Key sizes are checked here
 * (EINVAL), by the table below.
 *
 * Difference (each also marked where it happens):
 * - every cipher key length is validated (FreeBSD's DES/3DES transforms ignored the length and
 *   des_set_key's parity/weak-key verdict), and `cri_key` shorter than `cri_klen / 8` is EINVAL
 *   (FreeBSD read past it);
 * - `cri_mlen` larger than the digest is EINVAL (FreeBSD copied bytes past the digest);
 * - plain MD5/SHA1 and ARC4 sessions work (FreeBSD registered MD5/SHA1 but refused them, and had
 *   no ARC4);
 * - freeing lid == the array size is EINVAL (FreeBSD's bound check read one past the array).
 *   Lid 0 is EINVAL as in FreeBSD (slot 0 is always empty, so its NULL check answered first).
 *
 * @example
 *   const table = new SwcrSessionTable();
 *   const { error, lid } = swcr_newsession(table, backend, cri);
 *   swcr_freesession(table, lid);
 */
import {
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_192_NIST_GMAC,
  CRYPTO_AES_256_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_ICM,
  CRYPTO_AES_NIST_GCM_16,
  CRYPTO_AES_NIST_GMAC,
  CRYPTO_AES_XTS,
  CRYPTO_ARC4,
  CRYPTO_DEFLATE_COMP,
  CRYPTO_MD5,
  CRYPTO_NULL_CBC,
  CRYPTO_NULL_HMAC,
  CRYPTO_SHA1,
  CRYPTO_SW_SESSIONS,
  EINVAL,
} from './constants.js';
import type { cryptoini } from './structs.js';
import type { CryptoBackend } from './xform/backend.js';
import { CBC_CIPHERS, isCbcAlg, type CbcKey } from './xform/cbc-ciphers.js';
import { HASH_INFO, type HashName } from './xform/hash.js';
import { HMAC_ALGS, isHmacAlg, type HmacKey } from './xform/hmac.js';
import { KPDK_ALGS, isKpdkAlg, type KpdkKey } from './xform/kpdk.js';

/** How swcr_process treats an algorithm. */
export type SwcrKind =
  | 'cbc' // block cipher in CBC mode (swcr_encdec)
  | 'xts' // AES-XTS (swcr_encdec, 8-byte IV)
  | 'icm' // AES-ICM (swcr_encdec, explicit 16-byte IV)
  | 'arc4' // ARC4 (no IV)
  | 'null-cbc' // nothing at all
  | 'hmac' // HMAC and NULL-HMAC (swcr_authcompute)
  | 'kpdk' // MD5/SHA1-KPDK (swcr_authcompute)
  | 'hash' // plain MD5/SHA1 (swcr_authcompute)
  | 'gcm' // the cipher side of GCM (swcr_authenc)
  | 'gmac' // the cipher side of GMAC: no key, no data (swcr_authenc)
  | 'gmac-auth' // AES-{128,192,256}-NIST-GMAC: the MAC side of GCM/GMAC (swcr_authenc)
  | 'deflate'; // DEFLATE (swcr_compdec)

/** Static facts about one algorithm as cryptosoft serves it (ocf.md §1.4 and the §3 table). */
export interface SwcrAlgInfo {
  readonly kind: SwcrKind;
  /** The length rule's block size (crd_len % blocksize must be 0); 1 = any length. */
  readonly blocksize: number;
  /** IV bytes generated, injected or read (0 = no IV). */
  readonly ivsize: number;
  /** Accepted key lengths in bytes; undefined = no key used. */
  readonly keyOk?: (bytes: number) => boolean;
  /** Full digest length for authenticators (the most `cri_mlen` may ask for). */
  readonly hashLen?: number;
  /** The hash of a plain-hash session. */
  readonly hash?: HashName;
}

const aesKey = (n: number): boolean => n === 16 || n === 24 || n === 32;

function buildAlgTable(): Record<number, SwcrAlgInfo> {
  const t: Record<number, SwcrAlgInfo> = {};
  for (const [id, info] of Object.entries(CBC_CIPHERS)) {
    const alg = Number(id);
    t[alg] = alg === CRYPTO_NULL_CBC
      ? { kind: 'null-cbc', blocksize: info.blockSize, ivsize: 0, keyOk: info.keyOk }
      : { kind: 'cbc', blocksize: info.blockSize, ivsize: info.blockSize, keyOk: info.keyOk };
  }
  t[CRYPTO_AES_XTS] = { kind: 'xts', blocksize: 16, ivsize: 8, keyOk: (n) => n === 32 || n === 64 };
  // Difference: AES-ICM is a stream cipher here (any length), as the 2020 rewrite made it; FreeBSD
  // 11's software ICM had a block size of 16 (ocf.md §3.4).
  t[CRYPTO_AES_ICM] = { kind: 'icm', blocksize: 1, ivsize: 16, keyOk: aesKey };
  t[CRYPTO_ARC4] = { kind: 'arc4', blocksize: 1, ivsize: 0, keyOk: (n) => n >= 1 && n <= 32 };
  for (const [id, info] of Object.entries(HMAC_ALGS)) {
    t[Number(id)] = { kind: 'hmac', blocksize: 1, ivsize: 0, hashLen: HASH_INFO[info.hash].outputLen };
  }
  for (const [id, info] of Object.entries(KPDK_ALGS)) {
    t[Number(id)] = { kind: 'kpdk', blocksize: 1, ivsize: 0, hashLen: HASH_INFO[info.hash].outputLen };
  }
  // Difference: FreeBSD registered MD5/SHA1 but refused their sessions (code under #ifdef notdef)
  // and had no ARC4; cryptosoft serves all three, as the manual page lists them.
  t[CRYPTO_MD5] = { kind: 'hash', blocksize: 1, ivsize: 0, hashLen: 16, hash: 'md5' };
  t[CRYPTO_SHA1] = { kind: 'hash', blocksize: 1, ivsize: 0, hashLen: 20, hash: 'sha1' };
  t[CRYPTO_AES_NIST_GCM_16] = { kind: 'gcm', blocksize: 1, ivsize: 12, keyOk: aesKey };
  t[CRYPTO_AES_NIST_GMAC] = { kind: 'gmac', blocksize: 1, ivsize: 12 };
  for (const alg of [CRYPTO_AES_128_NIST_GMAC, CRYPTO_AES_192_NIST_GMAC, CRYPTO_AES_256_NIST_GMAC]) {
    // FreeBSD's auth4common accepts any AES key size for any of the three (only /dev/crypto ties
    // the variant to the size).
    t[alg] = { kind: 'gmac-auth', blocksize: 1, ivsize: 0, keyOk: aesKey, hashLen: 16 };
  }
  t[CRYPTO_DEFLATE_COMP] = { kind: 'deflate', blocksize: 1, ivsize: 0 };
  return t;
}

/** Every algorithm cryptosoft implements: all 28 ids of crypto(9). */
export const SWCR_ALGS: Readonly<Record<number, SwcrAlgInfo>> = Object.freeze(buildAlgTable());

/** One algorithm's state in a session (struct swcr_data). */
export class swcr_data {
  /** CBC key schedule (sw_kschedule). */
  sw_kschedule: CbcKey | null = null;
  /** Raw key for AES-XTS/ICM/GCM/GMAC and ARC4, whose backend functions key per call. */
  sw_key: Uint8Array | null = null;
  /** HMAC / NULL-HMAC precomputed contexts (sw_ictx / sw_octx). */
  sw_hmac: HmacKey | null = null;
  /** KPDK precomputed H(key || fill) context. */
  sw_kpdk: KpdkKey | null = null;
  /** Digest bytes to output, 0 = all (authenticators). */
  sw_mlen = 0;
  /** Key length in bytes of the current schedule (the cost of AES and Camellia depends on it). */
  sw_klen = 0;

  constructor(readonly sw_alg: number, readonly info: SwcrAlgInfo) {}

  /** Whether a key schedule is in place (false: requests need CRD_F_KEY_EXPLICIT). */
  get keyed(): boolean {
    return this.sw_kschedule !== null || this.sw_key !== null || this.sw_hmac !== null || this.sw_kpdk !== null;
  }

  /** Zero and drop every key schedule (swcr_freesession's bzero of key material). */
  wipe(): void {
    this.sw_kschedule?.wipe();
    this.sw_key?.fill(0);
    this.sw_hmac?.wipe();
    this.sw_kpdk?.wipe();
    this.sw_kschedule = null;
    this.sw_key = null;
    this.sw_hmac = null;
    this.sw_kpdk = null;
    this.sw_klen = 0;
  }
}

/**
 * (Re)key `sw` from `key` (its first `klen / 8` bytes): the setkey of newsession and of
 * CRD_F_KEY_EXPLICIT. Returns 0 or EINVAL (key too short for klen, or a size the algorithm does
 * not take); on EINVAL the previous schedule is left as it was.
 */
export function swcr_setkey(backend: CryptoBackend, sw: swcr_data, key: Uint8Array, klenBits: number): number {
  if (!Number.isInteger(klenBits) || klenBits < 0) return EINVAL;
  const len = klenBits >> 3;
  // Difference: FreeBSD read klen/8 bytes whatever the key's real size.
  if (len > key.length) return EINVAL;
  const k = key.subarray(0, len);
  const alg = sw.sw_alg;
  const info = sw.info;
  // Difference: every key size is checked (FreeBSD's DES/3DES transforms ignored the length).
  if (info.keyOk && !info.keyOk(len)) return EINVAL;
  sw.sw_klen = len;
  switch (info.kind) {
    case 'cbc':
      if (!isCbcAlg(alg)) return EINVAL;
      sw.sw_kschedule?.wipe();
      sw.sw_kschedule = backend.cbcKey(alg, k);
      return 0;
    case 'xts':
    case 'icm':
    case 'gcm':
    case 'gmac-auth':
    case 'arc4':
      sw.sw_key?.fill(0);
      sw.sw_key = k.slice();
      return 0;
    case 'hmac':
      if (!isHmacAlg(alg)) return EINVAL;
      sw.sw_hmac?.wipe();
      sw.sw_hmac = backend.hmacKey(alg, k);
      return 0;
    case 'kpdk':
      if (!isKpdkAlg(alg)) return EINVAL;
      sw.sw_kpdk?.wipe();
      sw.sw_kpdk = backend.kpdkKey(alg, k);
      return 0;
    default:
      // NULL-CBC, plain hashes, GMAC's cipher side and DEFLATE keep no key.
      return 0;
  }
}

/** The `swcr_sessions` array. */
export class SwcrSessionTable {
  /** Index = lid; null = free. Empty until the first session, like FreeBSD's NULL array. */
  private sessions: (swcr_data[] | null)[] = [];

  /** swcr_sesnum: the array's current size (0 before the first session). */
  get size(): number {
    return this.sessions.length;
  }

  /** Number of live sessions. */
  get live(): number {
    return this.sessions.reduce((n, s) => n + (s ? 1 : 0), 0);
  }

  /** The session at `lid`, or null for 0, out of range or free. */
  get(lid: number): swcr_data[] | null {
    if (!Number.isInteger(lid) || lid <= 0 || lid >= this.sessions.length) return null;
    return this.sessions[lid] ?? null;
  }

  /** Store a session in the lowest free slot from 1, growing the array (32, then doubling). */
  insert(session: swcr_data[]): number {
    let i = 1;
    while (i < this.sessions.length && this.sessions[i] !== null) i++;
    if (i >= this.sessions.length) {
      const size = this.sessions.length === 0 ? CRYPTO_SW_SESSIONS : this.sessions.length * 2;
      while (this.sessions.length < size) this.sessions.push(null);
    }
    this.sessions[i] = session;
    return i;
  }

  /** Take the session out of its slot (null if there was none). */
  remove(lid: number): swcr_data[] | null {
    const s = this.get(lid);
    if (s) this.sessions[lid] = null;
    return s;
  }
}

/**
 * swcr_newsession: build one `swcr_data` per cryptoini link, keys included, and store the
 * session. Returns EINVAL for an algorithm cryptosoft does not know, a bad key size or a bad
 * `cri_mlen` (the partially built session is wiped).
 */
export function swcr_newsession(table: SwcrSessionTable, backend: CryptoBackend, cri: cryptoini | null): { error: number; lid: number; data: swcr_data[] } {
  const data: swcr_data[] = [];
  const fail = (): { error: number; lid: number; data: swcr_data[] } => {
    for (const sw of data) sw.wipe();
    return { error: EINVAL, lid: 0, data: [] };
  };
  if (cri === null) return fail();
  for (let c: cryptoini | null = cri; c !== null; c = c.cri_next) {
    const info = SWCR_ALGS[c.cri_alg];
    if (info === undefined) return fail();
    const sw = new swcr_data(c.cri_alg, info);
    data.push(sw);
    if (info.hashLen !== undefined && (info.kind === 'hmac' || info.kind === 'kpdk')) {
      // Difference: FreeBSD did not range-check cri_mlen (ocf.md §3.6).
      if (!Number.isInteger(c.cri_mlen) || c.cri_mlen < 0 || c.cri_mlen > info.hashLen) return fail();
      sw.sw_mlen = c.cri_mlen;
    }
    // NULL-HMAC has no key to set up; FreeBSD's auth path called Setkey only when cri_key != NULL.
    if (c.cri_key !== null && c.cri_alg !== CRYPTO_NULL_HMAC) {
      if (swcr_setkey(backend, sw, c.cri_key, c.cri_klen) !== 0) return fail();
    }
  }
  return { error: 0, lid: table.insert(data), data };
}

/** swcr_freesession: wipe the key material and free the slot. EINVAL for lid 0 or no session. */
export function swcr_freesession(table: SwcrSessionTable, lid: number): number {
  // Difference: lid == the array size is EINVAL (FreeBSD's `>` bound check read one past the
  // array). Lid 0 is EINVAL as in FreeBSD: slot 0 is never used.
  const s = table.remove(lid);
  if (!s) return EINVAL;
  for (const sw of s) sw.wipe();
  return 0;
}

/** The first state of `alg` in a session (FreeBSD's list walk), or null. */
export function swcr_find(session: readonly swcr_data[], alg: number): swcr_data | null {
  for (const sw of session) if (sw.sw_alg === alg) return sw;
  return null;
}
