/**
 * The driver table of crypto(9) (sys/opencrypto/crypto.c, FreeBSD 10/11; reference/ocf.md §4.1,
 * §4.2): `cryptocap` slots, registration, tombstones, and driver selection for new sessions
 * and key operations.
 */
import {
  CRK_ALGORITHM_MAX,
  CRYPTO_ALG_FLAG_SUPPORTED,
  CRYPTO_ALGORITHM_MAX,
  CRYPTO_DRIVERS_INITIAL,
  CRYPTOCAP_F_CLEANUP,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
} from './constants.js';
import type { cryptkop, cryptoini, cryptop } from './structs.js';

/**
 * The kobj methods a crypto driver provides (sys/opencrypto/cryptodev_if.m). `sidp.lid` is preset
 * to the driver id and set by the driver to its own session id, as FreeBSD's `uint32_t *sidp`.
 */
export interface cryptodev_methods {
  cryptodev_newsession(dev: CryptoDevice, sidp: { lid: number }, cri: cryptoini): number;
  cryptodev_freesession(dev: CryptoDevice, sid: bigint): number;
  cryptodev_process(dev: CryptoDevice, crp: cryptop, hint: number): number;
  cryptodev_kprocess?(dev: CryptoDevice, krp: cryptkop, hint: number): number;
}

/**
 * What crypto_get_driverid needs of a device_t: its names and its driver's kobj method table.
 * newbus devices qualify when their driver_t carries `methods`.
 */
export interface CryptoDevice {
  readonly nameunit: string;
  readonly name: string;
  readonly driver: { readonly methods?: Partial<cryptodev_methods> | object } | null;
}

/** One slot of the driver table (struct cryptocap). */
export class cryptocap {
  cc_dev: CryptoDevice | null = null;
  cc_methods: cryptodev_methods | null = null;
  /** Saved at registration so a tombstone can still be named in reports. */
  cc_name = '';
  cc_sessions = 0;
  cc_koperations = 0;
  readonly cc_alg = new Uint8Array(CRYPTO_ALGORITHM_MAX + 1);
  readonly cc_kalg = new Uint8Array(CRK_ALGORITHM_MAX + 1);
  readonly cc_max_op_len = new Uint16Array(CRYPTO_ALGORITHM_MAX + 1);
  cc_flags = 0;
  cc_qblocked = 0;
  cc_kqblocked = 0;

  zero(): void {
    this.cc_dev = null;
    this.cc_methods = null;
    this.cc_sessions = 0;
    this.cc_koperations = 0;
    this.cc_alg.fill(0);
    this.cc_kalg.fill(0);
    this.cc_max_op_len.fill(0);
    this.cc_flags = 0;
    this.cc_qblocked = 0;
    this.cc_kqblocked = 0;
  }

  get isTombstone(): boolean {
    return (this.cc_flags & CRYPTOCAP_F_CLEANUP) !== 0;
  }
}

export class DriverTable {
  readonly slots: cryptocap[] = Array.from({ length: CRYPTO_DRIVERS_INITIAL }, () => new cryptocap());

  /** crypto_checkdriver: the slot for `hid`, or null when out of range. */
  check(hid: number): cryptocap | null {
    return Number.isInteger(hid) && hid >= 0 && hid < this.slots.length ? this.slots[hid]! : null;
  }

  /**
   * Lowest free slot (no device, not a tombstone, not `reserved`); the table doubles when full.
   */
  allocate(reserved: (hid: number) => boolean = () => false): number {
    let i = this.slots.findIndex((c, hid) => c.cc_dev === null && !c.isTombstone && !reserved(hid));
    if (i < 0) {
      i = this.slots.length;
      const grow = this.slots.length;
      for (let k = 0; k < grow; k++) this.slots.push(new cryptocap());
    }
    return i;
  }

  /**
   * driver_finis: zero the slot; if sessions or key operations are still live, keep it as a
   * CLEANUP tombstone with those counters, so later requests migrate.
   */
  finis(cap: cryptocap): void {
    const ses = cap.cc_sessions;
    const kops = cap.cc_koperations;
    cap.zero();
    if (ses !== 0 || kops !== 0) {
      cap.cc_flags = CRYPTOCAP_F_CLEANUP;
      cap.cc_sessions = ses;
      cap.cc_koperations = kops;
    }
  }

  /** crypto_remove: a tombstone whose last session and key operation are gone is freed. */
  removeIfIdle(cap: cryptocap): void {
    if (cap.isTombstone && cap.cc_sessions === 0 && cap.cc_koperations === 0) cap.zero();
  }

  /** crypto_select_driver: hardware first (when asked), fewest sessions, lowest index on ties. */
  selectDriver(cri: cryptoini, flags: number): number {
    let pass = flags & CRYPTOCAP_F_HARDWARE ? CRYPTOCAP_F_HARDWARE : CRYPTOCAP_F_SOFTWARE;
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.slots.length; i++) {
        const cap = this.slots[i]!;
        if (cap.cc_dev === null || cap.isTombstone || (cap.cc_flags & pass) === 0) continue;
        if (!supportsChain(cap, cri)) continue;
        if (best < 0 || cap.cc_sessions < this.slots[best]!.cc_sessions) best = i;
      }
      if (best >= 0) return best;
      if (pass === CRYPTOCAP_F_HARDWARE && flags & CRYPTOCAP_F_SOFTWARE) {
        pass = CRYPTOCAP_F_SOFTWARE;
        continue;
      }
      return -1;
    }
  }

  /** crypto_select_kdriver: the same two passes, fewest key operations. */
  selectKDriver(kalg: number, flags: number): number {
    let pass = flags & CRYPTOCAP_F_HARDWARE ? CRYPTOCAP_F_HARDWARE : CRYPTOCAP_F_SOFTWARE;
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.slots.length; i++) {
        const cap = this.slots[i]!;
        if (cap.cc_dev === null || cap.isTombstone || (cap.cc_flags & pass) === 0) continue;
        if (!(cap.cc_kalg[kalg]! & CRYPTO_ALG_FLAG_SUPPORTED)) continue;
        if (best < 0 || cap.cc_koperations < this.slots[best]!.cc_koperations) best = i;
      }
      if (best >= 0) return best;
      if (pass === CRYPTOCAP_F_HARDWARE && flags & CRYPTOCAP_F_SOFTWARE) {
        pass = CRYPTOCAP_F_SOFTWARE;
        continue;
      }
      return -1;
    }
  }
}

/** Does the slot support every algorithm of the cryptoini chain? */
export function supportsChain(cap: cryptocap, cri: cryptoini | null): boolean {
  for (let c = cri; c; c = c.cri_next) {
    const alg = c.cri_alg;
    if (!Number.isInteger(alg) || alg < 0 || alg > CRYPTO_ALGORITHM_MAX) return false;
    if (!(cap.cc_alg[alg]! & CRYPTO_ALG_FLAG_SUPPORTED)) return false;
  }
  return cri !== null;
}

/** Resolve and check a device's kobj methods at crypto_get_driverid time. */
export function kobjMethods(dev: CryptoDevice): cryptodev_methods | string {
  const m = dev.driver?.methods as Partial<cryptodev_methods> | undefined;
  if (!m) return `device ${dev.nameunit} has no driver methods table`;
  for (const name of ['cryptodev_newsession', 'cryptodev_freesession', 'cryptodev_process'] as const) {
    if (typeof m[name] !== 'function') return `device ${dev.nameunit}'s driver does not implement ${name}`;
  }
  return m as cryptodev_methods;
}

/** The SID layout of FreeBSD 10/11: caps snapshot and driver id in the upper word, driver's lid below. */
export function makeSid(flags: number, hid: number, lid: number): bigint {
  const upper = BigInt(((flags & 0xff000000) >>> 0) | (hid & 0x00ffffff));
  return (upper << 32n) | BigInt(lid >>> 0);
}

// Through BigInt.asUintN and one Number conversion: these run several times per request, and
// each intermediate BigInt is an allocation. HID and LID also remember their last answer (a
// memo of a pure function, so no state any machine could see): requests come in runs on one
// session, and comparing two BigInts costs a third of decoding one.
let hidSid: bigint | null = null;
let hidOfSid = 0;
let lidSid: bigint | null = null;
let lidOfSid = 0;

export function CRYPTO_SESID2HID(sid: bigint): number {
  if (sid !== hidSid) {
    hidOfSid = (Number(BigInt.asUintN(64, sid) >> 32n) & 0x00ffffff) >>> 0;
    hidSid = sid;
  }
  return hidOfSid;
}

export function CRYPTO_SESID2CAPS(sid: bigint): number {
  return (Number(BigInt.asUintN(64, sid) >> 32n) & 0xff000000) >>> 0;
}

export function CRYPTO_SESID2LID(sid: bigint): number {
  if (sid !== lidSid) {
    lidOfSid = Number(BigInt.asUintN(32, sid));
    lidSid = sid;
  }
  return lidOfSid;
}
