import { describe, expect, it } from 'vitest';
import { SimSystem } from '../../../sim/system.js';
import { Priority } from '../../../sim/cpu.js';
import { M_WAITOK, type MemBlock } from '../../../sim/memory.js';
import { EAGAIN, EIO, ERESTART } from '../../../sim/errno.js';
import type { Device } from '../../../sim/newbus.js';
import { XorEngineCard } from '../../../devices/kit/example/model.js';
import { xorDriver, xorSubmit, type XorDriverOptions, type XorJob, type XorSoftc } from '../../../devices/kit/example/driver.js';
import { XOR_OP_COPY, XOR_OP_XOR } from '../../../devices/kit/example/regs.js';

const MS = 1_000_000_000;

function boot(o: { seed?: number; driver?: XorDriverOptions; trace?: boolean } = {}) {
  const sys = new SimSystem({ seed: o.seed ?? 1, trace: o.trace ?? true });
  const card = new XorEngineCard({ trace: sys.trace, prng: sys.prng.stream('xor0.faults') });
  sys.bus.addDriver(xorDriver(o.driver));
  sys.cardbus.insert(0, card);
  sys.runUntil(5 * MS);
  const dev = sys.tree.find('xor0') as Device<XorSoftc> | undefined;
  if (!dev) throw new Error(`xor0 did not attach:\n${sys.console.map((l) => l.text).join('\n')}`);
  return { sys, card, dev };
}

interface Outcome {
  job: XorJob;
  input: Uint8Array;
  error: number | null;
  doneAt: number;
}

/** A consumer thread posting `sizes.length` jobs, sleeping on ERESTART, then waiting for all completions. */
function runJobs(sys: SimSystem, dev: Device<XorSoftc>, sizes: number[], opts: { maskEvery?: number } = {}) {
  const outcomes: Outcome[] = [];
  const chan = {};
  let finished = false;
  sys.scheduler.spawn('consumer', Priority.Kernel, function* (td) {
    const sc = dev.softc!;
    let left = sizes.length;
    for (let i = 0; i < sizes.length; i++) {
      const len = sizes[i]!;
      const src = sys.mem.malloc(len, M_WAITOK, 'src') as MemBlock;
      const dst = sys.mem.malloc(len, M_WAITOK, 'dst') as MemBlock;
      sys.prng.stream('data').fill(src.bytes);
      const o: Outcome = {
        input: src.bytes.slice(), error: null, doneAt: -1,
        job: {
          src, dst, len, op: i % 3 === 0 ? XOR_OP_COPY : XOR_OP_XOR, key: 0xa5c3_0f00 + i,
          maskIrq: opts.maskEvery ? i % opts.maskEvery !== opts.maskEvery - 1 && i !== sizes.length - 1 : false,
          done: (err) => {
            o.error = err;
            o.doneAt = sys.now;
            if (--left === 0) sys.scheduler.wakeup(chan);
          },
        },
      };
      outcomes.push(o);
      for (;;) {
        const err = xorSubmit(dev, o.job);
        if (err !== ERESTART) {
          expect(err).toBe(0);
          break;
        }
        yield td.msleep(sc, 'xorfull');
      }
    }
    while (left > 0) yield td.msleep(chan, 'xorwait');
    finished = true;
  });
  return { outcomes, get finished() { return finished; } };
}

function expected(o: Outcome): Uint8Array {
  const { op, key } = o.job;
  return o.input.map((b, i) => (op === XOR_OP_XOR ? b ^ ((key >>> (8 * (i & 3))) & 0xff) : b));
}

describe('the kit example card (XOR/memcpy engine) with its driver on a SimSystem', () => {
  it('moves every request through the ring, bus_dma and interrupts, bit-exact, with no violation', () => {
    const { sys, card, dev } = boot();
    const sizes = [64, 1500, 17, 4096, 256, 3, 8192, 600];
    const run = runJobs(sys, dev, sizes);
    sys.run();
    expect(run.finished).toBe(true);
    for (const o of run.outcomes) {
      expect(o.error).toBe(0);
      expect(sys.mem.cpuRead(o.job.dst.paddr, o.job.len)).toEqual(expected(o));
    }
    expect(sys.violations.all).toEqual([]);
    expect(card.completed).toBe(sizes.length);
    expect(card.regs.unmodelledCount).toBe(0);
    const kinds = new Set(sys.trace.all.map((e) => e.kind));
    for (const k of ['stage.fetch', 'stage.dmaIn', 'stage.compute', 'stage.dmaOut', 'stage.writeBack', 'dma.in', 'dma.out', 'irq.raise', 'intr.assert']) {
      expect(kinds.has(k), k).toBe(true);
    }
  });

  it('wraps the ring through its JUMP slot more than ten times, with ring-full ERESTART and wakeups', () => {
    const { sys, card, dev } = boot({ driver: { ringEntries: 4 } });
    const sizes = Array.from({ length: 60 }, (_, i) => 32 + ((i * 37) % 500));
    const run = runJobs(sys, dev, sizes);
    sys.run();
    expect(run.finished).toBe(true);
    expect(run.outcomes.every((o) => o.error === 0)).toBe(true);
    for (const o of run.outcomes) expect(sys.mem.cpuRead(o.job.dst.paddr, o.job.len)).toEqual(expected(o));
    expect(dev.softc!.wraps).toBe(15);
    expect(card.ring.stats.wraps).toBe(15);
    expect(card.ring.stats.fetched).toBe(60);
    expect(sys.violations.all).toEqual([]);
    // Completions come back in ring order.
    const times = run.outcomes.map((o) => o.doneAt);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('coalesces interrupts: masked descriptors complete with the next unmasked one', () => {
    const plain = boot();
    const a = runJobs(plain.sys, plain.dev, Array(12).fill(256));
    plain.sys.run();
    const masked = boot();
    const b = runJobs(masked.sys, masked.dev, Array(12).fill(256), { maskEvery: 4 });
    masked.sys.run();
    expect(a.finished && b.finished).toBe(true);
    expect(masked.card.coalescer.stats.completions).toBe(12);
    expect(masked.card.coalescer.stats.raises).toBeLessThan(plain.card.coalescer.stats.raises);
    expect(masked.dev.softc!.interrupts).toBeLessThanOrEqual(3);
    expect(masked.sys.violations.all).toEqual([]);
  });

  it('reports an injected DMA error as ERR in the descriptor, EIO to the caller, and carries on', () => {
    const { sys, card, dev } = boot();
    const run = runJobs(sys, dev, [128, 128, 128]);
    card.env.faults.arm({ kind: 'dma-error', channel: 'data', op: 'read', from: sys.now });
    sys.run();
    expect(run.outcomes.map((o) => o.error)).toEqual([EIO, 0, 0]);
    expect(card.env.faults.fired.map((f) => f.kind)).toEqual(['dma-error']);
    expect(sys.violations.all).toEqual([]);
  });

  it('a surprise eject mid-flight completes every request exactly once, in-flight ones with EAGAIN', () => {
    const { sys, dev } = boot();
    const run = runJobs(sys, dev, Array(6).fill(16384));
    sys.runUntil(sys.now + 800_000_000);
    sys.cardbus.eject(0, 'surprise');
    sys.run();
    const errs = run.outcomes.map((o) => o.error);
    expect(errs.every((e) => e === 0 || e === EAGAIN)).toBe(true);
    expect(errs).toContain(EAGAIN);
    expect(errs).toContain(0);
    expect(run.finished).toBe(true);
    expect(dev.state).toBe('deleted');
  });

  it('an orderly eject mid-flight waits for the card to go idle before unloading maps: no violation', () => {
    const { sys, dev } = boot();
    const run = runJobs(sys, dev, Array(6).fill(16384));
    sys.runUntil(sys.now + 800_000_000);
    const op = sys.cardbus.eject(0, 'orderly');
    sys.run();
    expect(op.error).toBe(0);
    expect(run.finished).toBe(true);
    expect(run.outcomes.map((o) => o.error)).toContain(EAGAIN);
    expect(sys.violations.all).toEqual([]);
  });

  it('a dropped interrupt with no later completion strands the last request (this driver has no watchdog)', () => {
    const { sys, card, dev } = boot();
    card.env.faults.arm({ kind: 'drop-interrupt', from: sys.now });
    const run = runJobs(sys, dev, [256]);
    sys.run();
    expect(card.completed).toBe(1);
    expect(card.irq.stats.dropped).toBe(1);
    expect(run.outcomes[0]!.error).toBe(null);
    expect(run.finished).toBe(false);
  });

  it('a stuck engine stops the pipeline; a reset through CTRL frees it', () => {
    const { sys, card, dev } = boot();
    card.env.faults.arm({ kind: 'stuck-engine', stage: 'compute', from: sys.now });
    const run = runJobs(sys, dev, [256, 256]);
    sys.run();
    expect(card.stages.compute.stuck).toBe(true);
    expect(card.completed).toBe(0);
    expect(run.outcomes.every((o) => o.error === null)).toBe(true);
    // Orderly detach resets the card (the stage is freed) and fails both requests with EAGAIN.
    sys.cardbus.eject(0, 'orderly');
    sys.run();
    expect(card.stages.compute.stuck).toBe(false);
    expect(run.outcomes.map((o) => o.error)).toEqual([EAGAIN, EAGAIN]);
    expect(sys.violations.all).toEqual([]);
  });

  it('with probabilistic DMA errors, the same seed fails the same requests', () => {
    const pattern = (seed: number) => {
      const { sys, card, dev } = boot({ seed });
      card.env.faults.arm({ kind: 'dma-error', channel: 'data', probability: 0.2 });
      const run = runJobs(sys, dev, Array(30).fill(200));
      sys.run();
      expect(run.finished).toBe(true);
      return run.outcomes.map((o) => (o.error === EIO ? 'x' : '.')).join('');
    };
    expect(pattern(11)).toBe(pattern(11));
    expect(pattern(11)).toContain('x');
    expect(pattern(11)).not.toBe(pattern(12));
  });

  it('is deterministic: the same seed gives a byte-identical trace, another seed another one', () => {
    const trace = (seed: number) => {
      const { sys, dev } = boot({ seed });
      runJobs(sys, dev, Array.from({ length: 20 }, (_, i) => 1 + sys.prng.stream('sizes').int(0, 3000) + i));
      sys.run();
      expect(sys.violations.all).toEqual([]);
      return sys.trace.hash();
    };
    expect(trace(5)).toBe(trace(5));
    expect(trace(5)).not.toBe(trace(6));
  });
});
