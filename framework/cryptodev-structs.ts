/**
 * The user side of crypto(4) (`/dev/crypto`): ioctl numbers, request flags and the structures of
 * sys/opencrypto/cryptodev.h (FreeBSD 11 / 2015 head; reference/ocf.md §5.2, §5.3), with the
 * header's names kept so that crypto(4) reads as this API's documentation.
 *
 * A structure is a plain object; the classes below only give every field its zero value, as a C
 * program's `memset(&sop, 0, sizeof(sop))` does. Pointer fields (`key`, `src`, `dst`, `mac`, `iv`,
 * `crp_p`, ...) are `Uint8Array`s in the calling program's memory, or null for NULL. Integer fields
 * are read with their C width when the kernel copies the structure in (a u32 field holding -1 is
 * 0xffffffff), see `framework/cryptodev-copy.ts`.
 *
 * @example
 *   const sop = new session2_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key, crid: CRYPTO_FLAG_SOFTWARE });
 *   fd.ioctlSync(CIOCGSESSION2, sop);   // sop.ses and sop.crid are filled in
 */
import { CRK_MAXPARAM } from './constants.js';

// §5.2 ioctl numbers (group 'c'), LP64 values: _IOWR('c', nr, struct) and friends.
/** On the /dev/crypto node: clone a descriptor with its own session list. */
export const CRIOGET = 0xc0046364;
export const CIOCGSESSION = 0xc0306365;
export const CIOCFSESSION = 0x80046366;
export const CIOCCRYPT = 0xc0306367;
export const CIOCKEY = 0xc0906368;
export const CIOCASYMFEAT = 0x40046369;
export const CIOCGSESSION2 = 0xc040636a;
export const CIOCKEY2 = 0xc090636b;
export const CIOCFINDDEV = 0xc024636c;
export const CIOCCRYPTAEAD = 0xc040636d;
/** The node's spellings of CIOCASYMFEAT and CIOCFINDDEV (same numbers). */
export const CRIOASYMFEAT = CIOCASYMFEAT;
export const CRIOFINDDEV = CIOCFINDDEV;

/** Names of the ioctl numbers, for messages and traces. */
export const CIOC_NAMES: Readonly<Record<number, string>> = {
  [CRIOGET]: 'CRIOGET',
  [CIOCGSESSION]: 'CIOCGSESSION',
  [CIOCFSESSION]: 'CIOCFSESSION',
  [CIOCCRYPT]: 'CIOCCRYPT',
  [CIOCKEY]: 'CIOCKEY',
  [CIOCASYMFEAT]: 'CIOCASYMFEAT',
  [CIOCGSESSION2]: 'CIOCGSESSION2',
  [CIOCKEY2]: 'CIOCKEY2',
  [CIOCFINDDEV]: 'CIOCFINDDEV',
  [CIOCCRYPTAEAD]: 'CIOCCRYPTAEAD',
};

export function ioctlName(cmd: unknown): string {
  return typeof cmd === 'number' ? (CIOC_NAMES[cmd] ?? `ioctl 0x${(cmd >>> 0).toString(16)}`) : `ioctl ${String(cmd)}`;
}

// crypt_op.op and .flags (§1.3).
export const COP_ENCRYPT = 1;
export const COP_DECRYPT = 2;
/** Same bit as CRYPTO_F_BATCH, copied straight into crp_flags. */
export const COP_F_BATCH = 0x0008;

/** The largest `len` (and `aadlen`) /dev/crypto accepts: 256 KiB - 4 (E2BIG above). */
export const CRYPTODEV_MAX_LEN = 256 * 1024 - 4;
/** Largest crp_nbits of a keying parameter (OpenBSD's limit, kept by FreeBSD). */
export const CRYPTODEV_MAX_NBITS = 65536;
/** The size of crypt_aead's iv copy-in buffer (cse->tmp_iv, EALG_MAX_BLOCK_LEN). */
export const CRYPTODEV_MAX_IVLEN = 16;
/** Bytes of crypt_find_op.name (char name[32], NUL included). */
export const CRYPTO_NAME_LEN = 32;

/** An ioctl on a closed descriptor (re-exported for cryptodev users). */
export { EBADF } from '../sim/errno.js';

/** A user pointer: the caller's bytes, or NULL. */
export type user_ptr = Uint8Array | null;

/** struct session_op (48 bytes on LP64): CIOCGSESSION's argument. `ses` is written back. */
export class session_op {
  cipher = 0;
  mac = 0;
  /** Cipher key length in bytes. */
  keylen = 0;
  key: user_ptr = null;
  /** MAC key length in bytes (a signed int in the header). */
  mackeylen = 0;
  mackey: user_ptr = null;
  /** Out: the session's number on this descriptor (a counter from 0, not the kernel SID). */
  ses = 0;

  constructor(init: Partial<session_op> = {}) {
    Object.assign(this, init);
  }
}

/** struct session2_op (64 bytes): CIOCGSESSION2's argument, session_op plus `crid`. */
export class session2_op extends session_op {
  /** In: a driver index, or CRYPTO_FLAG_HARDWARE / _SOFTWARE selectors. Out: the driver index. */
  crid = 0;

  constructor(init: Partial<session2_op> = {}) {
    super();
    Object.assign(this, init);
  }
}

/** struct crypt_op (48 bytes): CIOCCRYPT's argument. */
export class crypt_op {
  ses = 0;
  /** COP_ENCRYPT, COP_DECRYPT (anything but COP_ENCRYPT decrypts; any value for a MAC-only session). */
  op = 0;
  flags = 0;
  len = 0;
  src: user_ptr = null;
  dst: user_ptr = null;
  /** Receives the MAC's full hash size. */
  mac: user_ptr = null;
  /** The cipher's block size of IV; null = the first block of `src` is the IV. */
  iv: user_ptr = null;

  constructor(init: Partial<crypt_op> = {}) {
    Object.assign(this, init);
  }
}

/** struct crypt_aead (64 bytes): CIOCCRYPTAEAD's argument. */
export class crypt_aead {
  ses = 0;
  op = 0;
  flags = 0;
  len = 0;
  aadlen = 0;
  ivlen = 0;
  src: user_ptr = null;
  dst: user_ptr = null;
  aad: user_ptr = null;
  /** Copied in (checked on decrypt by GCM) and written back. */
  tag: user_ptr = null;
  iv: user_ptr = null;

  constructor(init: Partial<crypt_aead> = {}) {
    Object.assign(this, init);
  }
}

/** struct crparam as user programs fill it: a little-endian big number of `crp_nbits` bits. */
export interface crparam_user {
  crp_p: user_ptr;
  crp_nbits: number;
}

/** struct crypt_kop (144 bytes): CIOCKEY / CIOCKEY2's argument. */
export class crypt_kop {
  crk_op = 0;
  /** Out: krp_status. */
  crk_status = 0;
  crk_iparams = 0;
  crk_oparams = 0;
  /** In (CIOCKEY2): the driver selector. Out: echoed back unchanged, as FreeBSD 10/11 did. */
  crk_crid = 0;
  crk_param: crparam_user[] = Array.from({ length: CRK_MAXPARAM }, () => ({ crp_p: null, crp_nbits: 0 }));

  constructor(init: Partial<crypt_kop> = {}) {
    Object.assign(this, init);
  }
}

/** struct crypt_find_op (36 bytes): CIOCFINDDEV's argument. */
export class crypt_find_op {
  /** In: a driver index, or -1 to look `name` up. Out: the index found. */
  crid = -1;
  /** In (crid -1): a driver name or nameunit prefix. Out: the driver's nameunit. */
  name = '';

  constructor(init: Partial<crypt_find_op> = {}) {
    Object.assign(this, init);
  }
}
