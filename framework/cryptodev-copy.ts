/**
 * The kernel's view of a /dev/crypto call: copyin/copyout between the program's `Uint8Array`s and
 * kernel memory, reading integer fields with their C width, and the failure a handler raises.
 *
 * A program's structure is a JS object, so some arguments exist here that C cannot express. The
 * rules (docs/cryptodev.md, "Arguments"):
 * - an integer field that is absent reads as 0 (a zeroed struct); otherwise it must be an integer
 *   Number and is taken modulo its C width (u32: `v >>> 0`, int: `v | 0`, u16: `v & 0xffff`);
 *   anything else (1.5, NaN, '16', 16n) fails with EINVAL, naming the field;
 * - a pointer field that is null, undefined or 0 is NULL; a Uint8Array is the program's memory;
 *   anything else is a bad address (EFAULT), as is a copy longer than the array (the kernel's
 *   copyin would run off the end of the mapping);
 * - the argument itself must be an object for a structure-taking ioctl (EFAULT otherwise).
 */
import type { KThread } from '../sim/cpu.js';
import type { EventEngine } from '../sim/engine.js';
import type { PhysMemory } from '../sim/memory.js';
import type { Scheduler } from '../sim/cpu.js';
import type { Sysctl } from '../sim/sysctl.js';
import type { TraceRecorder } from '../sim/trace.js';
import type { ViolationLog } from '../sim/violations.js';
import type { CryptoFramework } from './crypto.js';
import type { CryptodevCosts } from './cryptodev-costs.js';
import { EFAULT, EINVAL } from './constants.js';

/** What /dev/crypto needs of a machine (lab/machine.ts's Machine has all of it). */
export interface CryptodevHost {
  readonly crypto: CryptoFramework;
  readonly scheduler: Scheduler;
  readonly engine: EventEngine;
  readonly mem: PhysMemory;
  readonly sysctls: Sysctl;
  readonly violations: ViolationLog;
  readonly trace: TraceRecorder;
}

/** One ioctl in progress: the user thread it runs on and where to charge. */
export interface Kctx {
  readonly td: KThread;
  readonly host: CryptodevHost;
  readonly costs: CryptodevCosts;
  /** Kernel buffers allocated and not yet freed, for the consistency check. */
  readonly ledger: { kernelBlocks: number };
}

/** A handler's failure: the errno the ioctl returns and why (the message of the rejected Error). */
export class IoctlError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

export function fail(errno: number, message: string): never {
  throw new IoctlError(errno, message);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'object') return v === null ? 'null' : Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}

function integer(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(EINVAL, `${field} must be an integer, got ${describe(v)}`);
  return v;
}

/** A u_int32_t field. */
export function u32(v: unknown, field: string): number {
  return integer(v, field) >>> 0;
}

/** An int field. */
export function i32(v: unknown, field: string): number {
  return integer(v, field) | 0;
}

/** A u_int16_t field. */
export function u16(v: unknown, field: string): number {
  return integer(v, field) & 0xffff;
}

/** A pointer field: the program's bytes, or null for NULL. */
export function ptr(v: unknown, field: string): Uint8Array | null {
  if (v === undefined || v === null || v === 0) return null;
  if (v instanceof Uint8Array) return v;
  fail(EFAULT, `${field} is not a Uint8Array (got ${describe(v)}): bad address`);
}

/** The ioctl's structure argument (EFAULT unless it is an object). */
export function structArg(arg: unknown, name: string): Record<string, unknown> {
  if (typeof arg !== 'object' || arg === null) fail(EFAULT, `the argument must be a struct ${name}, got ${describe(arg)}`);
  return arg as Record<string, unknown>;
}

function checkUser(p: Uint8Array | null, len: number, field: string, dir: 'copyin' | 'copyout'): void {
  if (len === 0) return;
  if (p === null) fail(EFAULT, `${dir} of ${len} bytes ${dir === 'copyin' ? 'from' : 'to'} ${field}, which is NULL`);
  if (p.length < len) fail(EFAULT, `${dir} of ${len} bytes ${dir === 'copyin' ? 'from' : 'to'} ${field}, which has only ${p.length}`);
}

/** Charge the user thread for copying `len` bytes across the user/kernel boundary. */
function chargeCopy(k: Kctx, len: number): void {
  k.td.chargeCycles(k.costs.copySetup + len * k.costs.copyPerByte);
}

/** copyin(9) into a fresh kernel array (keys, IVs, keying parameters). */
export function copyin(k: Kctx, p: Uint8Array | null, len: number, field: string): Uint8Array {
  checkUser(p, len, field, 'copyin');
  chargeCopy(k, len);
  return len === 0 ? new Uint8Array(0) : p!.slice(0, len);
}

/** copyin(9) into kernel physical memory at `paddr` (the request buffer). */
export function copyinPhys(k: Kctx, p: Uint8Array | null, len: number, paddr: number, field: string): void {
  checkUser(p, len, field, 'copyin');
  chargeCopy(k, len);
  if (len > 0) k.host.mem.cpuWrite(paddr, p!.subarray(0, len));
}

/** copyout(9) of kernel bytes to the program's array. */
export function copyout(k: Kctx, data: Uint8Array, p: Uint8Array | null, field: string): void {
  checkUser(p, data.length, field, 'copyout');
  chargeCopy(k, data.length);
  if (data.length > 0) p!.set(data);
}

/** copyout(9) from kernel physical memory. */
export function copyoutPhys(k: Kctx, paddr: number, len: number, p: Uint8Array | null, field: string): void {
  checkUser(p, len, field, 'copyout');
  chargeCopy(k, len);
  if (len > 0) p!.set(k.host.mem.cpuRead(paddr, len));
}
