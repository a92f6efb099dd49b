/**
 * Violations: driver or device bugs the simulator catches and names (DMA outside a mapping, a
 * missed sync, DMA with bus mastering off, an interrupt storm, a request completed twice or never).
 *
 * A violation does not stop the simulation (a real machine would corrupt memory and go on); it is
 * recorded with the simulated time and, where there is one, the request id, and tests fail on any.
 *
 * @example
 *   machine.violations.report({ kind: 'dma-outside-map', t, device: 'toy0', address: 0x4000, operation: 'write', message: '...' });
 */
import { TraceRecorder } from './trace.js';

export type ViolationKind =
  | 'dma-outside-map'
  | 'dma-read-before-prewrite'
  | 'dma-read-stale'
  | 'cpu-read-before-postread'
  | 'dma-without-busmaster'
  | 'dma-after-unload'
  | 'interrupt-storm'
  | 'double-completion'
  | 'lost-request'
  | 'lost-interrupt'
  | 'map-leak'
  | (string & {});

export interface Violation {
  kind: ViolationKind;
  /** Simulated time, ps. */
  t: number;
  device?: string;
  address?: number;
  operation?: string;
  req?: number;
  message: string;
}

export class ViolationError extends Error {
  override name = 'ViolationError';
}

export class ViolationLog {
  private readonly list: Violation[] = [];
  /** When set, the first violation throws instead of being recorded (useful while debugging a driver). */
  throwOnViolation = false;

  constructor(private readonly trace?: TraceRecorder) {}

  report(v: Violation): void {
    this.list.push(v);
    if (this.trace?.on) {
      this.trace.record({
        t: v.t,
        layer: 'sim',
        where: v.device ?? 'machine',
        kind: `violation.${v.kind}`,
        ...(v.req !== undefined ? { req: v.req } : {}),
        fields: { message: v.message, ...(v.address !== undefined ? { address: v.address } : {}) },
      });
    }
    if (this.throwOnViolation) throw new ViolationError(formatViolation(v));
  }

  get all(): readonly Violation[] {
    return this.list;
  }

  count(kind?: ViolationKind): number {
    return kind === undefined ? this.list.length : this.list.filter((v) => v.kind === kind).length;
  }

  clear(): void {
    this.list.length = 0;
  }

  /** Throw one error listing every violation, if there is any. */
  assertNone(): void {
    if (this.list.length === 0) return;
    throw new ViolationError(`${this.list.length} violation(s):\n${this.list.map(formatViolation).join('\n')}`);
  }
}

export function formatViolation(v: Violation): string {
  const parts = [`[${v.kind}] t=${v.t} ps`];
  if (v.device) parts.push(`device=${v.device}`);
  if (v.address !== undefined) parts.push(`address=0x${v.address.toString(16)}`);
  if (v.operation) parts.push(`op=${v.operation}`);
  if (v.req !== undefined) parts.push(`req=${v.req}`);
  return `${parts.join(' ')}: ${v.message}`;
}
