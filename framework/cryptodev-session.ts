/**
 * CIOCGSESSION, CIOCGSESSION2 and CIOCFSESSION (sys/opencrypto/cryptodev.c, 2015 head;
 * reference/ocf.md §5.4): a descriptor's session list, the algorithm and key checks in FreeBSD's
 * order, `kern.cryptodevallowsoft`'s crid filter, and crypto_newsession with a cipher -> MAC chain.
 *
 * The session keeps its own copies of both keys and puts them into every request (without
 * CRD_F_KEY_EXPLICIT), as cryptodev.c does; they are wiped when the session is freed.
 */
import type { CryptoFramework } from './crypto.js';
import { CRYPTO_SESID2HID } from './drivers.js';
import { cryptoini } from './structs.js';
import { CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_SOFTWARE, EFAULT, EINVAL, cryptoAlgName, errnoName } from './constants.js';
import { CRYPTODEV_CIPHERS, CRYPTODEV_MACS, type CryptodevCipher, type CryptodevMac } from './cryptodev-algs.js';
import { copyin, fail, i32, ptr, structArg, u32, type Kctx } from './cryptodev-copy.js';

/** One session of a descriptor (struct csession). */
export interface csession {
  /** The number the program knows it by: a per-descriptor counter from 0, never reused. */
  readonly ses: number;
  /** The kernel SID; replaced when a migration hands the request a new one (see docs/differences.md). */
  sid: bigint;
  readonly cipher: number;
  readonly mac: number;
  readonly txform: CryptodevCipher | null;
  readonly thash: CryptodevMac | null;
  readonly key: Uint8Array | null;
  readonly mackey: Uint8Array | null;
}

/** A descriptor's private state (struct fcrypt). */
export interface fcrypt {
  readonly csessions: csession[];
  /** The next `ses` to hand out. */
  sesn: number;
}

/** Read a field of the program's structure; a getter that throws is a bad address. */
export function field(obj: Record<string, unknown>, name: string): unknown {
  try {
    return obj[name];
  } catch (e) {
    fail(EFAULT, `reading ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Write an output field back into the program's structure (the ioctl's struct copyout, which
 * FreeBSD does only when the call succeeded).
 */
export function setField(obj: Record<string, unknown>, name: string, value: unknown): void {
  try {
    obj[name] = value;
  } catch (e) {
    fail(EFAULT, `writing ${name} back failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function csefind(fcr: fcrypt, ses: number): csession | undefined {
  return fcr.csessions.find((c) => c.ses === ses);
}

/**
 * checkforsoftware: without kern.cryptodevallowsoft, HARDWARE|SOFTWARE narrows to HARDWARE, and
 * SOFTWARE alone or the index of a non-hardware driver is EINVAL.
 */
function checkforsoftware(k: Kctx, crid: number): number {
  if (k.host.sysctls.get('kern.cryptodevallowsoft') !== 0) return crid;
  if (crid & CRYPTOCAP_F_SOFTWARE) {
    if (crid & CRYPTOCAP_F_HARDWARE) return CRYPTOCAP_F_HARDWARE;
    fail(EINVAL, `crid 0x${(crid >>> 0).toString(16)} asks for software drivers, which kern.cryptodevallowsoft=0 forbids`);
  }
  if ((crid & CRYPTOCAP_F_HARDWARE) === 0 && (k.host.crypto.crypto_getcaps(crid) & CRYPTOCAP_F_HARDWARE) === 0) {
    fail(EINVAL, `crid ${crid} is not a hardware driver, and kern.cryptodevallowsoft=0 allows only those`);
  }
  return crid;
}

/**
 * CIOCGSESSION (hardware only) and CIOCGSESSION2 (with `crid`). Returns the fields the ioctl
 * writes back on success: `ses`, and for CIOCGSESSION2 `crid` (the driver index).
 */
export function cryptodev_gsession(k: Kctx, fcr: fcrypt, arg: unknown, v2: boolean): Record<string, number> {
  const sop = structArg(arg, v2 ? 'session2_op' : 'session_op');
  const cipherAlg = u32(field(sop, 'cipher'), 'cipher');
  const macAlg = u32(field(sop, 'mac'), 'mac');
  const keylen = u32(field(sop, 'keylen'), 'keylen');
  const mackeylen = i32(field(sop, 'mackeylen'), 'mackeylen');
  const cridIn = v2 ? i32(field(sop, 'crid'), 'crid') : CRYPTOCAP_F_HARDWARE;

  let txform: CryptodevCipher | null = null;
  let thash: CryptodevMac | null = null;
  if (cipherAlg !== 0) {
    txform = CRYPTODEV_CIPHERS.get(cipherAlg) ?? fail(EINVAL, `cipher ${cipherAlg} (${cryptoAlgName(cipherAlg)}) is not a cipher /dev/crypto accepts`);
  }
  if (macAlg !== 0) {
    thash = CRYPTODEV_MACS.get(macAlg) ?? fail(EINVAL, `mac ${macAlg} (${cryptoAlgName(macAlg)}) is not a MAC /dev/crypto accepts`);
  }

  let crie: cryptoini | null = null;
  let cria: cryptoini | null = null;
  let key: Uint8Array | null = null;
  let mackey: Uint8Array | null = null;
  if (txform) {
    if (keylen < txform.minkey || keylen > txform.maxkey) {
      fail(EINVAL, `keylen ${keylen} is outside ${txform.minkey}..${txform.maxkey} bytes for ${cryptoAlgName(txform.alg)}`);
    }
    key = copyin(k, ptr(field(sop, 'key'), 'key'), keylen, 'key');
    crie = new cryptoini({ cri_alg: txform.alg, cri_klen: keylen * 8, cri_key: key });
  }
  if (thash) {
    if (mackeylen !== thash.keysize) {
      fail(EINVAL, `mackeylen ${mackeylen} must be exactly ${thash.keysize} bytes for ${cryptoAlgName(thash.alg)}`);
    }
    if (mackeylen > 0) mackey = copyin(k, ptr(field(sop, 'mackey'), 'mackey'), mackeylen, 'mackey');
    cria = new cryptoini({ cri_alg: thash.alg, cri_klen: mackeylen * 8, cri_key: mackey });
    if (crie) crie.cri_next = cria;
  }

  const crid = v2 ? checkforsoftware(k, cridIn) : cridIn;
  // cipher 0 and mac 0: FreeBSD asks for algorithm 0, which no driver has.
  const chain = crie ?? cria ?? new cryptoini({ cri_alg: 0 });
  const { error, sid } = k.host.crypto.crypto_newsession(chain, crid);
  if (error !== 0) {
    key?.fill(0);
    mackey?.fill(0);
    const what = [txform?.alg, thash?.alg].filter((a) => a !== undefined).map((a) => cryptoAlgName(a!));
    fail(error, `crypto_newsession(${what.join(' + ') || 'no algorithm'}, crid 0x${(crid >>> 0).toString(16)}) failed with ${errnoName(error)}`);
  }
  k.td.chargeCycles(k.costs.sessionOp);
  const cse: csession = { ses: fcr.sesn, sid, cipher: cipherAlg, mac: macAlg, txform, thash, key, mackey };
  fcr.sesn = (fcr.sesn + 1) >>> 0;
  fcr.csessions.push(cse);
  return v2 ? { ses: cse.ses, crid: CRYPTO_SESID2HID(sid) } : { ses: cse.ses };
}

/**
 * Free a session: crypto_freesession, then wipe the key copies. Returns crypto_freesession's
 * error. `k` is the ioctl charged for it; null when a descriptor is closed from outside a thread.
 */
export function csefree(crypto: CryptoFramework, fcr: fcrypt, cse: csession, k: Kctx | null): number {
  const i = fcr.csessions.indexOf(cse);
  if (i >= 0) fcr.csessions.splice(i, 1);
  k?.td.chargeCycles(k.costs.sessionOp);
  const error = crypto.crypto_freesession(cse.sid);
  cse.key?.fill(0);
  cse.mackey?.fill(0);
  return error;
}

/** CIOCFSESSION: the argument is the session number (u32), as `&sop.ses` is in C. */
export function cryptodev_fsession(k: Kctx, fcr: fcrypt, arg: unknown): void {
  const ses = u32(arg, 'ses');
  const cse = csefind(fcr, ses) ?? fail(EINVAL, `no session ${ses} on this descriptor`);
  const error = csefree(k.host.crypto, fcr, cse, k);
  if (error !== 0) fail(error, `crypto_freesession(0x${cse.sid.toString(16)}) failed with ${errnoName(error)}`);
}
