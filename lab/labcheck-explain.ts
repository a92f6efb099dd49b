/**
 * The grader's vocabulary: each check's result, and a one-line explanation of every violation the
 * simulator can report, in the words of the lab texts (docs/labs/) rather than the simulator's.
 */
import type { Violation } from '../sim/violations.js';
import { fmtMs } from './labcheck-rig.js';

/** One graded check: passed or failed, with one line saying why. */
export interface CheckResult {
  name: string;
  passed: boolean;
  detail: string;
}

const hex = (n: number | undefined): string => (n === undefined ? '?' : `0x${n.toString(16)}`);

/** One line, in the labs' words, for a violation. */
export function explainViolation(v: Violation): string {
  const at = `at t=${fmtMs(v.t)}`;
  const req = v.req !== undefined ? `request ${v.req}` : 'a request';
  switch (v.kind) {
    case 'dma-outside-map':
      return `DMA ${v.operation === 'write' ? 'write to' : 'read from'} ${hex(v.address)} outside any loaded map ${at} (a descriptor address outside the buffer, or a map unloaded while the card still used it)`;
    case 'dma-read-before-prewrite':
      return `the card read ${hex(v.address)} ${at} from a map never synced BUS_DMASYNC_PREWRITE since it was loaded`;
    case 'dma-read-stale':
      return `the card read ${hex(v.address)} ${at}, which the CPU changed after the last BUS_DMASYNC_PREWRITE (sync the ring after writing a descriptor, before TAIL)`;
    case 'cpu-read-before-postread':
      return `the CPU read ${hex(v.address)} ${at}, written by the card, before BUS_DMASYNC_POSTREAD`;
    case 'dma-without-busmaster':
      return `the card did DMA ${at} with bus mastering off (pci_enable_busmaster in attach)`;
    case 'interrupt-storm': {
      const n = /(\d+) back-to-back runs/.exec(v.message)?.[1] ?? 'many';
      return `interrupt not acknowledged: storm after ${n} assertions ${at} (write the EDU_ISR bits you handled to EDU_IACK)`;
    }
    case 'double-completion':
      return `${req} was completed twice (crypto_done called again ${at})`;
    case 'completion-without-dispatch':
      return `crypto_done was called ${at} on ${req}, which was never dispatched`;
    case 'lost-request':
      return `${req} was dispatched but never completed${/blocked/.test(v.message) ? ' (the driver stayed blocked: crypto_unblock was never called after ERESTART)' : ''}`;
    case 'busdma-busy':
      return `bus_dma ${at}: ${v.message}`;
    case 'resource-leak':
      return `detach left resources behind ${at}: ${v.message}`;
    case 'use-after-free':
    case 'double-dispatch':
      return `${req}: ${v.message}`;
    default:
      return `${v.kind} ${at}: ${v.message}`;
  }
}

/** Kinds that are about bus_dma and DMA discipline. */
export const DMA_KINDS = new Set(['dma-outside-map', 'dma-read-before-prewrite', 'dma-read-stale', 'cpu-read-before-postread', 'dma-without-busmaster', 'dma-after-unload', 'busdma-busy', 'dma-master-abort']);
/** Kinds that are about completing each request exactly once. */
export const ONCE_KINDS = new Set(['double-completion', 'completion-without-dispatch', 'lost-request', 'double-dispatch', 'use-after-free']);

/** A check from a list of problems: passes when there are none; names the first and counts the rest. */
export function checkFrom(name: string, problems: readonly string[], okDetail: string): CheckResult {
  if (problems.length === 0) return { name, passed: true, detail: okDetail };
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return { name, passed: false, detail: `${problems[0]}${more}` };
}
