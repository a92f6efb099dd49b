/**
 * The public-key unit of the 7951/7955/7956 (hw.md §2.11): operands in the 2 KB PUB_MEM window of
 * BAR1, an operation started by writing OPLEN then OP (to the enhanced-mode FIFO at 0x380/0x384,
 * or the 7951-compatible registers at 0x304/0x308), completion signalled by PUB_STATUS.DONE and,
 * with PUB_IEN.DONE, DMA_CSR.PUBDONE.
 *
 * The model implements MODEXP, computed with BigInt, in the operand layout the driver documents
 * (driver-pk.ts): A (base; the result replaces it), B (exponent), M (modulus) at the offsets OP
 * gives (each field a byte offset / 32), and the Barrett reciprocal floor(2^(64k) / M) in the
 * slot after M. A wrong reciprocal makes the engine run for ever (hw.md §11 fault 8: OCF-Linux's
 * comment), until PUB_RESET. Time: timing.ts `hifnModexpCycles` on the PK clock, growing with the
 * square of the modulus length and linearly with the exponent's. Other opcodes complete at once
 * and change nothing (not modelled).
 */
import { pow } from '@noble/curves/abstract/modular.js';
import type { ClockDomain } from '../../sim/clock.js';
import type { DeviceEnv } from '../kit/env.js';
import type { RegisterFile } from '../kit/registers.js';
import {
  HIFN_PUBOPLEN_EXPLEN,
  HIFN_PUBOPLEN_MODLEN,
  HIFN_PUBOP_AOFFSET,
  HIFN_PUBOP_BOFFSET,
  HIFN_PUBOP_MOFFSET,
  HIFN_PUBOP_OP_MASK,
  HIFN_PUBOP_OP_MODEXP,
  HIFN_PUBSTS_DONE,
  HIFN_PUB_MEM_SIZE,
} from './regs.js';
import { hifnModexpCycles, type HifnTiming } from './timing.js';

/** Operand slot size for a k-word modulus: room for the (k+1)-word reciprocal, 64-byte aligned. */
export const pkChunk = (k: number): number => Math.ceil(((k + 1) * 4) / 64) * 64;

function readNum(mem: Uint8Array, off: number, words: number): bigint {
  let v = 0n;
  for (let i = Math.min(4 * words, mem.length - off) - 1; i >= 0; i--) v = (v << 8n) | BigInt(mem[off + i]!);
  return v;
}

function writeNum(mem: Uint8Array, off: number, words: number, v: bigint): void {
  let x = v;
  for (let i = 0; i < 4 * words && off + i < mem.length; i++, x >>= 8n) mem[off + i] = Number(x & 0xffn);
}

export interface PkStats {
  ops: number;
  stuck: number;
}

export class HifnPkUnit {
  readonly stats: PkStats = { ops: 0, stuck: 0 };
  private readonly queue: { oplen: number; op: number }[] = [];
  private running = false;
  private epoch = 0;

  constructor(
    private readonly env: DeviceEnv,
    private readonly regs: RegisterFile<string>,
    private readonly timing: HifnTiming,
    /** The PK clock now (it follows the PLL on the 795x). */
    private readonly clock: () => ClockDomain,
    /** The unit finished an operation (set PUBDONE, update the interrupt). */
    private readonly onDone: (t: number) => void,
  ) {}

  get busy(): boolean {
    return this.running || this.queue.length > 0;
  }

  /** PUB_RESET, or the chip's master reset: forget everything, free a stuck engine. */
  reset(): void {
    this.queue.length = 0;
    this.running = false;
    this.epoch++;
  }

  /** Software wrote OP: queue the operation. */
  start(oplen: number, op: number, t: number): void {
    this.queue.push({ oplen, op });
    if (!this.running) this.next(t);
  }

  private next(t: number): void {
    const job = this.queue.shift();
    if (!job) return;
    this.running = true;
    this.stats.ops++;
    const mem = this.regs.region('PUB_MEM');
    const k = job.oplen & HIFN_PUBOPLEN_MODLEN;
    const expBits = ((job.oplen & HIFN_PUBOPLEN_EXPLEN) >>> 7) + 1;
    const a = (job.op & HIFN_PUBOP_AOFFSET) * 32;
    const b = ((job.op & HIFN_PUBOP_BOFFSET) >>> 6) * 32;
    const m = ((job.op & HIFN_PUBOP_MOFFSET) >>> 12) * 32;
    const epoch = this.epoch;
    let cycles = this.timing.pkOpSetupCycles.value;
    let result: (() => void) | null = null;
    if ((job.op & HIFN_PUBOP_OP_MASK) === HIFN_PUBOP_OP_MODEXP && k > 0) {
      const chunk = pkChunk(k);
      const r = m + chunk;
      const fits = a + 4 * k <= HIFN_PUB_MEM_SIZE && b + 4 * Math.ceil(expBits / 32) <= HIFN_PUB_MEM_SIZE && r + 4 * (k + 1) <= HIFN_PUB_MEM_SIZE;
      const M = fits ? readNum(mem, m, k) : 0n;
      const recipOk = M > 0n && readNum(mem, r, k + 1) === (1n << BigInt(64 * k)) / M;
      if (!recipOk) {
        // A bad reciprocal (or a zero modulus): the engine never finishes.
        this.stats.stuck++;
        this.env.note('pk.stuck', t, { k, expBits });
        return;
      }
      const base = readNum(mem, a, k);
      const exp = readNum(mem, b, Math.ceil(expBits / 32)) & ((1n << BigInt(expBits)) - 1n);
      cycles = hifnModexpCycles(this.timing, k, expBits);
      result = () => writeNum(mem, a, k, M === 1n ? 0n : pow(base % M, exp, M));
    }
    const done = t + this.clock().cyclesToPs(Math.ceil(cycles));
    this.env.note('pk.op', t, { op: (job.op & HIFN_PUBOP_OP_MASK) >>> 18, k, expBits }, { dur: done - t });
    this.env.engine.schedule(done, () => {
      if (epoch !== this.epoch) return;
      result?.();
      this.running = false;
      this.regs.reg('HIFN_1_PUB_STATUS').setBits(HIFN_PUBSTS_DONE);
      this.onDone(done);
      this.next(done);
    });
  }
}
