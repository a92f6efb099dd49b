/**
 * CIOCCRYPT and CIOCCRYPTAEAD (cryptodev_op and cryptodev_aead in sys/opencrypto/cryptodev.c,
 * 2015 head; reference/ocf.md §5.5, §5.6). The request is one kernel buffer in a single-iovec
 * uio (CRYPTO_F_IOV | CRYPTO_F_CBIMM): [data][MAC] for CIOCCRYPT, [data][AAD][tag] for
 * CIOCCRYPTAEAD, with the MAC descriptor first and the cipher second, as in 2015. The calling
 * thread sleeps on the request ("crydev") until the callback says it is done.
 *
 * Differences (docs/differences.md, "/dev/crypto"):
 * - EAGAIN after a session migration is resubmitted, as FreeBSD did, but from a fresh copy of the
 *   caller's input (FreeBSD resubmitted whatever an ejected card had left in the buffer), and the
 *   session records the new SID the framework put in `crp_sid` (FreeBSD kept the old one); after
 *   16 EAGAINs in a row the ioctl fails with EAGAIN instead of looping for ever on a driver that
 *   keeps answering it;
 * - an encrypt without `iv` lets the driver write the IV it generates into the in-band IV block
 *   (FreeBSD set CRD_F_IV_PRESENT, so the IV was lost and the output could not be decrypted);
 * - CIOCCRYPTAEAD without `iv` and with `len` shorter than one block is EINVAL (FreeBSD handed
 *   the driver a negative crd_len).
 */
import type { Wait } from '../sim/cpu.js';
import { M_WAITOK, MemoryError, type MemBlock } from '../sim/memory.js';
import { UIO_SYSSPACE, UIO_WRITE, uio } from '../sim/uio.js';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRYPTO_ARC4,
  CRYPTO_F_CBIMM,
  CRYPTO_F_DONE,
  CRYPTO_F_IOV,
  E2BIG,
  EAGAIN,
  EINVAL,
  ENOMEM,
  cryptoAlgName,
  errnoName,
} from './constants.js';
import type { cryptodesc, cryptop } from './structs.js';
import { COP_ENCRYPT, COP_F_BATCH, CRYPTODEV_MAX_IVLEN, CRYPTODEV_MAX_LEN } from './cryptodev-structs.js';
import { copyin, copyinPhys, copyoutPhys, fail, ptr, structArg, u16, u32, type Kctx } from './cryptodev-copy.js';
import { csefind, field, type csession, type fcrypt } from './cryptodev-session.js';

/** Consecutive EAGAIN completions after which the ioctl gives up with EAGAIN. */
export const CRYPTODEV_MAX_RESUBMITS = 16;

/** A pointer field's NULL test, as C's `if (cop->iv)`. */
function isNull(v: unknown): boolean {
  return v === undefined || v === null || v === 0;
}

function kmalloc(k: Kctx, size: number, what: string): MemBlock {
  k.td.chargeCycles(k.costs.malloc);
  let b: MemBlock | null;
  try {
    b = k.host.mem.malloc(Math.max(1, size), M_WAITOK, 'M_XDATA');
  } catch (e) {
    // Difference: M_WAITOK would sleep until memory frees up; the simulated memory says ENOMEM.
    if (e instanceof MemoryError) fail(ENOMEM, `no kernel memory for the ${size}-byte ${what} buffer`);
    throw e;
  }
  k.ledger.kernelBlocks++;
  return b!;
}

/**
 * The request buffer as the single-iovec system-space uio cryptodev.c builds. Difference: one per
 * call; FreeBSD kept one uio per session, shared by concurrent calls on that session.
 */
function requestUio(k: Kctx, b: MemBlock, len: number): uio {
  return new uio({ uio_iov: [{ iov_base: b.paddr, iov_len: len }], uio_mem: k.host.mem, uio_segflg: UIO_SYSSPACE, uio_rw: UIO_WRITE });
}

interface Request {
  crp: cryptop | null;
  buf: MemBlock | null;
  inFlight: boolean;
}

/** Free what a request holds, unless a driver still has it (only after an internal error). */
function release(k: Kctx, r: Request): void {
  if (r.inFlight) return;
  if (r.crp) k.host.crypto.crypto_freereq(r.crp);
  if (r.buf) {
    k.host.mem.free(r.buf);
    k.ledger.kernelBlocks--;
  }
}

/**
 * crypto_dispatch, then sleep until the callback marks the request done; resubmit on EAGAIN,
 * recording the SID the framework migrated the session to. `refill` copies the caller's input
 * into the kernel buffer again before each resubmission.
 */
function* dispatchAndWait(k: Kctx, cse: csession, r: Request, refill: () => void): Generator<Wait, void, number> {
  const crp = r.crp!;
  const crypto = k.host.crypto;
  crp.crp_callback = (c) => {
    k.host.scheduler.wakeup(c);
  };
  for (let attempt = 1; ; attempt++) {
    // Difference: a card ejected after its output DMA but before completing leaves the buffer
    // half-transformed; FreeBSD resubmitted it as it was (encrypting twice). Start from the input.
    if (attempt > 1) refill();
    crp.crp_sid = cse.sid;
    const error = crypto.crypto_dispatch(crp);
    if (error !== 0) fail(error, `crypto_dispatch failed with ${errnoName(error)}`);
    r.inFlight = true;
    while ((crp.crp_flags & CRYPTO_F_DONE) === 0) yield k.td.msleep(crp, 'crydev');
    r.inFlight = false;
    if (crp.crp_etype !== EAGAIN) return;
    if (crp.crp_sid !== cse.sid) {
      // Difference: keep the migrated SID, so later requests go straight to the new driver.
      if (k.host.trace.on) {
        k.host.trace.record({
          t: k.td.localTime,
          layer: 'framework',
          where: k.td.name,
          kind: 'cryptodev.migrated',
          req: crp.crp_reqid,
          fields: { ses: cse.ses, from: cse.sid, to: crp.crp_sid },
        });
      }
      cse.sid = crp.crp_sid;
    }
    // Difference: FreeBSD resubmitted for ever.
    if (attempt >= CRYPTODEV_MAX_RESUBMITS) fail(EAGAIN, `the request completed with EAGAIN ${attempt} times in a row`);
  }
}

function setKey(crd: cryptodesc, alg: number, key: Uint8Array | null): void {
  crd.crd_alg = alg;
  crd.crd_key = key;
  crd.crd_klen = (key?.length ?? 0) * 8;
}

/** Put an explicit IV of `len` bytes into the cipher descriptor (the rest of crd_iv stays zero). */
function explicitIv(k: Kctx, crde: cryptodesc, raw: unknown, len: number): void {
  const iv = copyin(k, ptr(raw, 'iv'), len, 'iv');
  crde.crd_iv.fill(0);
  crde.crd_iv.set(iv);
  crde.crd_flags |= CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT;
  crde.crd_skip = 0;
}

/**
 * The in-band IV: the first block of the data. Decrypt reads it; encrypt has the driver write the
 * IV it generates there.
 */
function inBandIv(crde: cryptodesc, blocksize: number): void {
  // Difference: FreeBSD set CRD_F_IV_PRESENT for encrypt too, so the generated IV was lost.
  if ((crde.crd_flags & CRD_F_ENCRYPT) === 0) crde.crd_flags |= CRD_F_IV_PRESENT;
  crde.crd_skip = blocksize;
  crde.crd_len -= blocksize;
}

function driverError(crp: cryptop): never {
  fail(crp.crp_etype, `the driver completed the request with ${errnoName(crp.crp_etype)}`);
}

/** CIOCCRYPT. */
export function* cryptodev_op(k: Kctx, fcr: fcrypt, arg: unknown): Generator<Wait, void, number> {
  const cop = structArg(arg, 'crypt_op');
  const ses = u32(field(cop, 'ses'), 'ses');
  const op = u16(field(cop, 'op'), 'op');
  const flags = u16(field(cop, 'flags'), 'flags');
  const len = u32(field(cop, 'len'), 'len');
  const src = field(cop, 'src');
  const dst = field(cop, 'dst');
  const mac = field(cop, 'mac');
  const iv = field(cop, 'iv');
  const cse = csefind(fcr, ses) ?? fail(EINVAL, `no session ${ses} on this descriptor`);
  const { txform, thash } = cse;

  if (len > CRYPTODEV_MAX_LEN) fail(E2BIG, `len ${len} is over ${CRYPTODEV_MAX_LEN}`);
  if (txform && (len === 0 || len % txform.blocksize !== 0)) {
    fail(EINVAL, `len ${len} must be a non-zero multiple of ${cryptoAlgName(txform.alg)}'s block size ${txform.blocksize}`);
  }
  const r: Request = { crp: null, buf: null, inFlight: false };
  try {
    const size = len + (thash?.hashsize ?? 0);
    const buf = (r.buf = kmalloc(k, size, 'CIOCCRYPT'));
    const crp = k.host.crypto.crypto_getreq((txform ? 1 : 0) + (thash ? 1 : 0)) ?? fail(ENOMEM, 'crypto_getreq failed');
    r.crp = crp;
    const crda = thash ? crp.crp_desc : null;
    const crde = txform ? (thash ? crda!.crd_next : crp.crp_desc) : null;
    const copyIn = (): void => copyinPhys(k, ptr(src, 'src'), len, buf.paddr, 'src');
    copyIn();
    if (crda) {
      crda.crd_skip = 0;
      crda.crd_len = len;
      crda.crd_inject = len;
      setKey(crda, cse.mac, cse.mackey);
    }
    if (crde) {
      if (op === COP_ENCRYPT) crde.crd_flags |= CRD_F_ENCRYPT;
      else crde.crd_flags &= ~CRD_F_ENCRYPT;
      crde.crd_len = len;
      crde.crd_inject = 0;
      setKey(crde, cse.cipher, cse.key);
    }
    crp.crp_ilen = len;
    crp.crp_flags = CRYPTO_F_IOV | CRYPTO_F_CBIMM | (flags & COP_F_BATCH);
    crp.crp_buf = requestUio(k, buf, size);
    crp.crp_opaque = cse;
    if (!isNull(iv)) {
      if (!crde) fail(EINVAL, 'iv is set but the session has no cipher');
      if (cse.cipher === CRYPTO_ARC4) fail(EINVAL, 'iv is set, but ARC4 takes no IV');
      explicitIv(k, crde, iv, txform!.blocksize);
    } else if (crde && cse.cipher !== CRYPTO_ARC4) {
      inBandIv(crde, txform!.blocksize);
    }
    if (!isNull(mac) && !crda) fail(EINVAL, 'mac is set but the session has no MAC');

    yield* dispatchAndWait(k, cse, r, () => {
      copyIn();
      crp.crp_buf = requestUio(k, buf, size);
    });
    if (crp.crp_etype !== 0) driverError(crp);
    if (!isNull(dst)) copyoutPhys(k, buf.paddr, len, ptr(dst, 'dst'), 'dst');
    if (!isNull(mac)) copyoutPhys(k, buf.paddr + len, thash!.hashsize, ptr(mac, 'mac'), 'mac');
  } finally {
    release(k, r);
  }
}

/** CIOCCRYPTAEAD. */
export function* cryptodev_aead(k: Kctx, fcr: fcrypt, arg: unknown): Generator<Wait, void, number> {
  const caead = structArg(arg, 'crypt_aead');
  const ses = u32(field(caead, 'ses'), 'ses');
  const op = u16(field(caead, 'op'), 'op');
  const flags = u16(field(caead, 'flags'), 'flags');
  const len = u32(field(caead, 'len'), 'len');
  const aadlen = u32(field(caead, 'aadlen'), 'aadlen');
  const ivlen = u32(field(caead, 'ivlen'), 'ivlen');
  const src = field(caead, 'src');
  const dst = field(caead, 'dst');
  const aad = field(caead, 'aad');
  const tag = field(caead, 'tag');
  const iv = field(caead, 'iv');
  const cse = csefind(fcr, ses) ?? fail(EINVAL, `no session ${ses} on this descriptor`);
  const { txform, thash } = cse;

  if (len > CRYPTODEV_MAX_LEN) fail(E2BIG, `len ${len} is over ${CRYPTODEV_MAX_LEN}`);
  if (aadlen > CRYPTODEV_MAX_LEN) fail(E2BIG, `aadlen ${aadlen} is over ${CRYPTODEV_MAX_LEN}`);
  if (!txform || !thash) fail(EINVAL, 'CIOCCRYPTAEAD needs a session with both a cipher and a MAC');
  if (isNull(tag)) fail(EINVAL, 'tag is NULL');
  if (len % txform.blocksize !== 0) {
    fail(EINVAL, `len ${len} must be a multiple of ${cryptoAlgName(txform.alg)}'s block size ${txform.blocksize}`);
  }
  const total = len + aadlen + thash.hashsize;
  const r: Request = { crp: null, buf: null, inFlight: false };
  try {
    const buf = (r.buf = kmalloc(k, total, 'CIOCCRYPTAEAD'));
    const crp = k.host.crypto.crypto_getreq(2) ?? fail(ENOMEM, 'crypto_getreq failed');
    r.crp = crp;
    const crda = crp.crp_desc!;
    const crde = crda.crd_next!;
    const copyIn = (): void => {
      copyinPhys(k, ptr(src, 'src'), len, buf.paddr, 'src');
      copyinPhys(k, ptr(aad, 'aad'), aadlen, buf.paddr + len, 'aad');
    };
    const copyInTag = (): void => copyinPhys(k, ptr(tag, 'tag'), thash.hashsize, buf.paddr + len + aadlen, 'tag');
    copyIn();
    crda.crd_skip = len;
    crda.crd_len = aadlen;
    crda.crd_inject = len + aadlen;
    setKey(crda, cse.mac, cse.mackey);
    if (op === COP_ENCRYPT) crde.crd_flags |= CRD_F_ENCRYPT;
    else crde.crd_flags &= ~CRD_F_ENCRYPT;
    crde.crd_len = len;
    crde.crd_inject = 0;
    setKey(crde, cse.cipher, cse.key);
    crp.crp_ilen = len + aadlen;
    crp.crp_flags = CRYPTO_F_IOV | CRYPTO_F_CBIMM | (flags & COP_F_BATCH);
    crp.crp_buf = requestUio(k, buf, total);
    crp.crp_opaque = cse;
    if (!isNull(iv)) {
      if (ivlen > CRYPTODEV_MAX_IVLEN) fail(EINVAL, `ivlen ${ivlen} is over ${CRYPTODEV_MAX_IVLEN}`);
      explicitIv(k, crde, iv, ivlen);
    } else {
      // Difference: FreeBSD went on with crd_len = len - blocksize < 0.
      if (len < txform.blocksize) fail(EINVAL, `len ${len} leaves no room for an in-band IV of ${txform.blocksize} bytes (pass iv)`);
      inBandIv(crde, txform.blocksize);
    }
    copyInTag();

    yield* dispatchAndWait(k, cse, r, () => {
      copyIn();
      copyInTag();
      crp.crp_buf = requestUio(k, buf, total);
    });
    if (crp.crp_etype !== 0) driverError(crp);
    if (!isNull(dst)) copyoutPhys(k, buf.paddr, len, ptr(dst, 'dst'), 'dst');
    copyoutPhys(k, buf.paddr + len + aadlen, thash.hashsize, ptr(tag, 'tag'), 'tag');
  } finally {
    release(k, r);
  }
}
