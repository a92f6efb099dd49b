import { describe, expect, it } from 'vitest';
import { SimSystem } from '../../../sim/system.js';
import { Priority } from '../../../sim/cpu.js';
import { M_WAITOK } from '../../../sim/memory.js';
import { EAGAIN } from '../../../sim/errno.js';
import type { Device } from '../../../sim/newbus.js';
import { ToyDmaCard } from '../../../devices/toy/model.js';
import { toyDmaDriver, toyTransfer, type ToyBugs, type ToySoftc, type ToyTransferResult } from '../../../devices/toy/driver.js';

const MS = 1_000_000_000;

function boot(options: { seed?: number; bugs?: ToyBugs; trace?: boolean } = {}) {
  const sys = new SimSystem({ seed: options.seed ?? 1, trace: options.trace ?? true });
  sys.bus.addDriver(toyDmaDriver(options.bugs));
  sys.cardbus.insert(0, new ToyDmaCard());
  sys.runUntil(5 * MS);
  const dev = sys.tree.find('toy0') as Device<ToySoftc> | undefined;
  if (!dev) throw new Error(`toy0 did not attach:\n${sys.console.map((l) => l.text).join('\n')}`);
  return { sys, dev };
}

function transferOnce(sys: SimSystem, dev: Device<ToySoftc>, len: number, bugs: ToyBugs = {}) {
  const src = sys.mem.malloc(len, M_WAITOK, 'src')!;
  const dst = sys.mem.malloc(len, M_WAITOK, 'dst')!;
  sys.prng.stream('toy.data').fill(src.bytes);
  const input = src.bytes.slice();
  let result: ToyTransferResult | undefined;
  let output: Uint8Array | undefined;
  sys.scheduler.spawn('consumer', Priority.Kernel, function* (td) {
    result = yield* toyTransfer(td, dev, src, dst, len, bugs);
    output = sys.mem.cpuRead(dst.paddr, len);
  });
  return { src, dst, input, get result() { return result; }, get output() { return output; } };
}

describe('toy bus-master card on the substrate', () => {
  it('moves data by DMA through bus_dma maps and completes by interrupt, with no violation', () => {
    const { sys, dev } = boot();
    const x = transferOnce(sys, dev, 1500);
    sys.run();
    expect(x.result?.error).toBe(0);
    expect(x.output).toEqual(x.input.map((b) => ~b & 0xff));
    expect(dev.softc!.interrupts).toBe(1);
    expect(sys.violations.all).toEqual([]);
    const kinds = new Set(sys.trace.all.map((e) => e.kind));
    for (const k of ['busdma.sync', 'dma.read', 'dma.write', 'intr.assert']) expect([...kinds].some((x) => x.startsWith(k))).toBe(true);
    // The transfer took simulated time: two DMA legs of 1500 bytes on a ~106 MB/s bus plus the interrupt.
    expect(x.result!.elapsedPs).toBeGreaterThan(25_000_000);
  });

  const cases: [string, ToyBugs, string][] = [
    ['a device read of a buffer never synced PREWRITE', { skipPrewrite: true }, 'dma-read-before-prewrite'],
    ['a device read of bytes the CPU changed after PREWRITE', { touchAfterPrewrite: true }, 'dma-read-stale'],
    ['the CPU reading device-written bytes before POSTREAD', { skipPostread: true }, 'cpu-read-before-postread'],
    ['a device write outside every loaded map', { dstOffsetOutsideMap: 8192 }, 'dma-outside-map'],
    ['DMA with bus mastering disabled', { noBusmaster: true }, 'dma-without-busmaster'],
  ];
  for (const [what, bugs, kind] of cases) {
    it(`catches and names ${what} (${kind})`, () => {
      const { sys, dev } = boot({ bugs });
      transferOnce(sys, dev, 256, bugs);
      sys.run();
      const v = sys.violations.all.find((x) => x.kind === kind);
      expect(v, `violations: ${JSON.stringify(sys.violations.all)}`).toBeDefined();
      expect(v!.t).toBeGreaterThan(0);
      if (kind !== 'cpu-read-before-postread') expect(v!.device).toBe('toy0');
    });
  }

  it('a surprise eject mid-DMA stops the transfer, loses the interrupt, and detach fails the waiter with EAGAIN', () => {
    const { sys, dev } = boot();
    const x = transferOnce(sys, dev, 64 * 1024);
    // The DMA read of 64 KiB takes ~600 us; eject 100 us after the transfer starts.
    sys.runUntil(sys.now + 100_000_000);
    const sc = dev.softc!;
    expect(sc.busy).toBe(true);
    sys.cardbus.eject(0, 'surprise');
    sys.run();
    expect(x.result?.error).toBe(EAGAIN);
    expect(sc.interrupts).toBe(0);
    expect(sys.mem.bytes.subarray(x.dst.paddr, x.dst.paddr + 16).some((b, i) => b === (~x.input[i]! & 0xff))).toBe(false);
    expect(sys.cardbus.slots[0]!.state).toBe('empty');
    expect(dev.state).toBe('deleted');
  });

  it('produces a byte-identical trace for the same seed, and a different one for another seed', () => {
    const run = (seed: number) => {
      const { sys, dev } = boot({ seed });
      const sizes = [64, 300, 4096, 17];
      sys.scheduler.spawn('mixed', Priority.User, function* (td) {
        for (const n of sizes) {
          const len = n + sys.prng.stream('sizes').int(0, 64);
          const src = sys.mem.malloc(len, M_WAITOK)!;
          const dst = sys.mem.malloc(len, M_WAITOK)!;
          sys.prng.stream('data').fill(src.bytes);
          yield* toyTransfer(td, dev, src, dst, len);
          sys.mem.free(src);
          sys.mem.free(dst);
          yield td.pause(sys.prng.stream('gaps').int(1, 50) * 1_000_000);
        }
      });
      sys.run();
      expect(sys.violations.all).toEqual([]);
      return sys.trace.hash();
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });
});
