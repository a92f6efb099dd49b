/**
 * What every workload is: a consumer of crypto(9) running as simulated threads of a Machine, which
 * checks every result against a host-side reference and keeps a Ledger. The scenario runner
 * starts, steers (rate, rekey, stop) and drains workloads through this interface only.
 *
 * The reference computation (the "oracle" that catches silent corruption) runs on the host and
 * charges no simulated time: it stands for the tester, not for the simulated machine.
 */
import type { Machine } from '../machine.js';
import type { CryptoBackend } from '../../framework/xform/backend.js';
import type { Prng } from '../../sim/prng.js';
import { CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_SOFTWARE } from '../../framework/constants.js';
import { CRYPTO_SESID2HID } from '../../framework/drivers.js';
import { Priority } from '../../sim/cpu.js';
import { Ledger } from './ledger.js';

/** Which drivers a workload's sessions may use. */
export type CridChoice = 'any' | 'hardware' | 'software';

/** Fields every workload spec has. */
export interface WorkloadSpecBase {
  /** Unique within the scenario; also the name of the workload's thread. */
  name: string;
  /** Requests per second, open loop (Poisson arrivals). Give this or `outstanding`. */
  rate?: number;
  /** Requests kept in flight, closed loop. */
  outstanding?: number;
  /** Which drivers its sessions may use (default 'any': hardware first, then software). */
  crid?: CridChoice;
  /** Start with the run (default true); otherwise a timeline `{ start: name }` starts it. */
  start?: boolean;
}

export interface WorkloadEnv {
  machine: Machine;
  /** The workload's own PRNG stream (keys, sizes, arrivals, data). */
  prng: Prng;
  /** Host-side reference crypto for the checks. */
  backend: CryptoBackend;
}

export interface Workload {
  readonly name: string;
  readonly kind: string;
  readonly ledger: Ledger;
  /** Names of the simulated threads it runs (for the CPU report). */
  readonly threads: readonly string[];
  /** Create sessions and start submitting. */
  start(): void;
  /** Stop submitting new requests; those in flight still complete. */
  stop(): void;
  /** Change the open-loop rate or the closed-loop depth. */
  steer(o: { rate?: number; outstanding?: number }): void;
  /** New sessions with new keys (an SA rekey): later requests go where the framework now chooses. */
  rekey(): void;
  /** Free its sessions (after the run has drained). */
  close(): void;
  /**
   * True when a result is waiting in host JavaScript (a settled Promise of /dev/crypto) that must
   * run before the simulation goes on. The runner then yields to the host event loop.
   */
  wantsHost?(): boolean;
}

/** crypto_newsession's crid for a choice. */
export function cridFlags(c: CridChoice | undefined): number {
  if (c === 'hardware') return CRYPTOCAP_F_HARDWARE;
  if (c === 'software') return CRYPTOCAP_F_SOFTWARE;
  return CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE;
}

/** The device name of the driver a session id belongs to ("hifn0", "cryptosoft0"). */
export function driverOfSid(m: Machine, sid: bigint): string {
  const hid = CRYPTO_SESID2HID(sid);
  let names = lastNames.get(m);
  if (!names) lastNames.set(m, (names = new Map()));
  const live = m.crypto.crypto_find_device_byhid(hid)?.nameunit;
  if (live) names.set(hid, live);
  // A request completed by a driver that has just unregistered (its detach finishing work the
  // chip had done) is still named after that driver.
  return live ?? names.get(hid) ?? `driver${hid}`;
}

const lastNames = new WeakMap<Machine, Map<number, string>>();

/** Check an open/closed loop choice; returns which one. */
export function loopOf(spec: WorkloadSpecBase): 'open' | 'closed' {
  const open = spec.rate !== undefined;
  const closed = spec.outstanding !== undefined;
  if (open === closed) throw new RangeError(`workload ${spec.name}: give exactly one of rate (open loop) or outstanding (closed loop)`);
  if (open && !(spec.rate! > 0)) throw new RangeError(`workload ${spec.name}: rate must be > 0 requests/s`);
  if (closed && !(Number.isInteger(spec.outstanding) && spec.outstanding! >= 1)) throw new RangeError(`workload ${spec.name}: outstanding must be an integer >= 1`);
  return open ? 'open' : 'closed';
}

export const PRIORITY = { kernel: Priority.Kernel, user: Priority.User } as const;

/** Bytes equal? (no early exit needed: this is the oracle, not constant-time code) */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
