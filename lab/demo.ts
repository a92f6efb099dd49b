/**
 * `npm start` / `ocfsim demo`: a short tour of the substrate with the toy bus-master card. It boots
 * a machine, hot-inserts the card, moves a buffer through it by DMA, shows where the time went,
 * then ejects the card in the middle of a second transfer and shows the driver cleaning up.
 */
import { Machine } from './machine.js';
import { Priority } from '../sim/cpu.js';
import { M_WAITOK } from '../sim/memory.js';
import { errnoName } from '../sim/errno.js';
import type { Device } from '../sim/newbus.js';
import { ToyDmaCard } from '../devices/toy/model.js';
import { toyDmaDriver, toyTransfer, type ToySoftc } from '../devices/toy/driver.js';

const US = 1_000_000;

function fmt(ps: number): string {
  return ps >= 1_000_000_000 ? `${(ps / 1e9).toFixed(3)} ms` : `${(ps / 1e6).toFixed(2)} µs`;
}

export function runDemo(out: (line: string) => void = console.log, seed = 1): number {
  const m = new Machine({ seed, cpus: 2, trace: true });
  m.bus.addDriver(toyDmaDriver());
  out(`ocfsim demo — seed ${seed}: a 2-CPU machine, a CardBus bridge with ${m.cardbus.slots.length} slots, ${m.mem.size >> 20} MiB of memory`);
  out('');
  out('1. Hot-insert the toy bus-master card into slot 0; the bridge debounces, probes and attaches it:');
  m.cardbus.insert(0, new ToyDmaCard());
  m.runUntil(3_000 * US);
  for (const line of m.console) out(`   [${fmt(line.t).padStart(11)}] ${line.text}`);
  const dev = m.tree.find('toy0') as Device<ToySoftc> | undefined;
  if (!dev) {
    out('   toy0 did not attach');
    return 1;
  }

  out('');
  out('2. A kernel thread inverts a 4 KiB buffer on the card (DMA in, engine, DMA out, interrupt):');
  const len = 4096;
  const src = m.mem.malloc(len, M_WAITOK, 'src')!;
  const dst = m.mem.malloc(len, M_WAITOK, 'dst')!;
  m.prng.stream('demo.data').fill(src.bytes);
  const first = m.trace.all.length;
  let ok = false;
  m.scheduler.spawn('demo', Priority.Kernel, function* (td) {
    const r = yield* toyTransfer(td, dev, src, dst, len);
    const back = m.mem.cpuRead(dst.paddr, len);
    ok = r.error === 0 && back.every((b, i) => b === (~src.bytes[i]! & 0xff));
    out(`   transfer: ${errnoName(r.error)} after ${fmt(r.elapsedPs)} of simulated time; data ${ok ? 'verified' : 'WRONG'}`);
  });
  m.run();
  const events = m.trace.all.slice(first);
  const interesting = events.filter((e) => /^(dma\.(read|write)|intr\.|busdma\.(sync|load))/.test(e.kind));
  for (const e of interesting.slice(0, 12)) {
    const extra = e.dur !== undefined ? ` (${fmt(e.dur)})` : '';
    out(`   [${fmt(e.t).padStart(11)}] ${e.where.padEnd(12)} ${e.kind}${extra}`);
  }
  const bus = m.bus.dmaStats();
  out(`   bus ${m.bus.name}: ${bus.bus.bytesRead} bytes read and ${bus.bus.bytesWritten} written by DMA, bus busy ${fmt(bus.bus.busyPs)}`);

  out('');
  out('3. Start a 64 KiB transfer and pull the card out 100 µs into it (surprise removal):');
  const big = m.mem.malloc(64 * 1024, M_WAITOK, 'big')!;
  const bigOut = m.mem.malloc(64 * 1024, M_WAITOK, 'bigout')!;
  const consoleBefore = m.console.length;
  m.scheduler.spawn('demo2', Priority.Kernel, function* (td) {
    const r = yield* toyTransfer(td, dev, big, bigOut, 64 * 1024);
    out(`   transfer returned ${errnoName(r.error)}: the driver's detach failed it so the caller can retry elsewhere`);
  });
  m.runUntil(m.now + 100 * US);
  m.cardbus.eject(0, 'surprise');
  m.run();
  for (const line of m.console.slice(consoleBefore)) out(`   [${fmt(line.t).padStart(11)}] ${line.text}`);
  out(`   slot 0 is now ${m.cardbus.slots[0]!.state}`);

  out('');
  const usage = m.scheduler.threadUsage().filter((t) => t.cpuTimePs > 0);
  out(`4. CPU time by thread over ${fmt(m.now)}:`);
  for (const t of usage) out(`   ${t.name.padEnd(18)} ${fmt(t.cpuTimePs).padStart(11)}  (${(t.utilisation * 100).toFixed(2)}% of one CPU)`);
  out('');
  out(`violations: ${m.violations.all.length === 0 ? 'none' : '\n' + m.violationReport()}`);
  out(`trace: ${m.trace.all.length} events, sha256 ${m.trace.hash().slice(0, 16)}… (same seed, same hash)`);
  return ok && m.violations.all.length === 0 ? 0 : 1;
}
