/**
 * CIOCKEY, CIOCKEY2, CIOCASYMFEAT and CIOCFINDDEV (sys/opencrypto/cryptodev.c, 2015 head;
 * reference/ocf.md §5.7). Keying operations go through crypto_kdispatch, whose completion always
 * comes from the return thread; the calling thread sleeps on the operation until then.
 *
 * As in FreeBSD 10/11, `crk_crid` is echoed back unchanged (CIOCKEY: HARDWARE|SOFTWARE) instead
 * of naming the driver that did the work. A status of ERESTART, which the syscall layer would
 * turn into a transparent restart of the ioctl, resubmits the operation.
 */
import type { Wait } from '../sim/cpu.js';
import {
  CRK_MAXPARAM,
  CRK_NAMES,
  CRK_PARAM_COUNTS,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  EFAULT,
  EINVAL,
  EFBIG,
  ENOENT,
  EPERM,
  ERESTART,
  errnoName,
} from './constants.js';
import { cryptkop } from './structs.js';
import { CRYPTO_NAME_LEN, CRYPTODEV_MAX_NBITS } from './cryptodev-structs.js';
import { copyin, copyout, fail, i32, ptr, structArg, u16, u32, type Kctx } from './cryptodev-copy.js';
import { field } from './cryptodev-session.js';
import { CRYPTODEV_MAX_RESUBMITS } from './cryptodev-crypt.js';

function userAsym(k: Kctx): boolean {
  return k.host.sysctls.get('kern.userasymcrypto') !== 0;
}

/** crk_param[i] as the kernel copies it in: each entry an object (or absent: all zero). */
function paramAt(params: unknown, i: number): Record<string, unknown> | null {
  if (params === undefined || params === null) return null;
  if (typeof params !== 'object') fail(EFAULT, 'crk_param must be an array of struct crparam');
  let p: unknown;
  try {
    p = (params as Record<number, unknown>)[i];
  } catch (e) {
    fail(EFAULT, `reading crk_param[${i}] failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (p === undefined || p === null) return null;
  if (typeof p !== 'object') fail(EFAULT, `crk_param[${i}] must be a struct crparam`);
  return p as Record<string, unknown>;
}

/**
 * CIOCKEY (any driver: crid HARDWARE|SOFTWARE) and CIOCKEY2 (the caller's `crk_crid`). Returns the
 * fields written back on success: `crk_crid` (echoed) and `crk_status`.
 */
export function* cryptodev_key(k: Kctx, arg: unknown, v2: boolean): Generator<Wait, Record<string, number>, number> {
  if (!userAsym(k)) fail(EPERM, 'kern.userasymcrypto is 0');
  const kop = structArg(arg, 'crypt_kop');
  const op = u32(field(kop, 'crk_op'), 'crk_op');
  const iparams = u16(field(kop, 'crk_iparams'), 'crk_iparams');
  const oparams = u16(field(kop, 'crk_oparams'), 'crk_oparams');
  const crid = v2 ? u32(field(kop, 'crk_crid'), 'crk_crid') : (CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE) >>> 0;
  const params = field(kop, 'crk_param');
  const nbits: number[] = [];
  for (let i = 0; i < CRK_MAXPARAM; i++) {
    const p = paramAt(params, i);
    nbits.push(u32(p && field(p, 'crp_nbits'), `crk_param[${i}].crp_nbits`));
  }

  if (iparams + oparams > CRK_MAXPARAM) fail(EFBIG, `crk_iparams + crk_oparams = ${iparams + oparams}, more than ${CRK_MAXPARAM}`);
  const counts = CRK_PARAM_COUNTS[op];
  if (!counts) fail(EINVAL, `crk_op ${op} is not a keying operation`);
  if (counts[0] !== iparams || counts[1] !== oparams) {
    fail(EINVAL, `${CRK_NAMES[op]} takes ${counts[0]} input and ${counts[1]} output parameters, not ${iparams} and ${oparams}`);
  }
  const krp = new cryptkop();
  krp.krp_op = op;
  krp.krp_iparams = iparams;
  krp.krp_oparams = oparams;
  krp.krp_crid = crid;
  for (let i = 0; i < CRK_MAXPARAM; i++) {
    if (nbits[i]! > CRYPTODEV_MAX_NBITS) fail(EINVAL, `crk_param[${i}].crp_nbits ${nbits[i]} is over ${CRYPTODEV_MAX_NBITS}`);
    krp.krp_param[i]!.crp_nbits = nbits[i]!;
  }
  for (let i = 0; i < iparams + oparams; i++) {
    const size = (nbits[i]! + 7) >>> 3;
    if (size === 0) continue;
    krp.krp_param[i]!.crp_p =
      i >= iparams ? new Uint8Array(size) : copyin(k, ptr(field(paramAt(params, i)!, 'crp_p'), `crk_param[${i}].crp_p`), size, `crk_param[${i}].crp_p`);
  }

  let done = false;
  krp.krp_callback = (kk) => {
    done = true;
    k.host.scheduler.wakeup(kk);
  };
  for (let attempt = 1; ; attempt++) {
    done = false;
    const error = k.host.crypto.crypto_kdispatch(krp);
    if (error !== 0) fail(error, `crypto_kdispatch failed with ${errnoName(error)}`);
    while (!done) yield k.td.msleep(krp, 'crydev');
    if (krp.krp_status !== ERESTART || attempt >= CRYPTODEV_MAX_RESUBMITS) break;
  }
  if (krp.krp_status !== 0) fail(krp.krp_status, `${CRK_NAMES[op]} completed with status ${errnoName(krp.krp_status)}`);
  for (let i = iparams; i < iparams + oparams; i++) {
    const size = (nbits[i]! + 7) >>> 3;
    if (size === 0) continue;
    const out = new Uint8Array(size);
    const p = krp.krp_param[i]!.crp_p;
    out.set(p.subarray(0, Math.min(size, p.length)));
    copyout(k, out, ptr(field(paramAt(params, i)!, 'crp_p'), `crk_param[${i}].crp_p`), `crk_param[${i}].crp_p`);
  }
  return { crk_crid: krp.krp_crid, crk_status: krp.krp_status };
}

/** CIOCASYMFEAT: the CRF_* bits of the keying operations available (0 with kern.userasymcrypto=0). */
export function cryptodev_asymfeat(k: Kctx): number {
  return userAsym(k) ? k.host.crypto.crypto_getfeat().feat >>> 0 : 0;
}

/** CIOCFINDDEV: a driver's nameunit from its index, or its index from a name prefix. */
export function cryptodev_finddev(k: Kctx, arg: unknown): Record<string, string | number> {
  const find = structArg(arg, 'crypt_find_op');
  const crid = i32(field(find, 'crid'), 'crid');
  const crypto = k.host.crypto;
  if (crid !== -1) {
    const dev = crypto.crypto_find_device_byhid(crid) ?? fail(ENOENT, `no driver has crid ${crid}`);
    return { name: dev.nameunit.slice(0, CRYPTO_NAME_LEN - 1) };
  }
  const raw = field(find, 'name');
  if (raw !== undefined && raw !== null && typeof raw !== 'string') fail(EINVAL, 'name must be a string (char name[32])');
  // char name[32]: what the kernel sees ends at the first NUL or after 31 characters.
  const name = (raw ?? '').split('\0')[0]!.slice(0, CRYPTO_NAME_LEN - 1);
  const found = crypto.crypto_find_driver(name);
  if (found < 0) fail(ENOENT, `no driver name starts with "${name}"`);
  return { crid: found };
}
