import { describe, expect, it } from 'vitest';
import { Priority } from '../../sim/cpu.js';
import { ENXIO } from '../../sim/errno.js';
import {
  BUS_PROBE_DEFAULT, BUS_PROBE_GENERIC, BUS_PROBE_SPECIFIC, BUS_PROBE_VENDOR, Device, SYS_RES_MEMORY,
  bus_alloc_resource_any, device_detach, device_get_nameunit, device_get_softc, device_get_unit, device_printf, driver_t,
} from '../../sim/newbus.js';
import { DEFAULT_PCI_TIMING, PCIR_BAR, bus_space_read_4, pci_get_vendor } from '../../sim/pci.js';
import { REG_ID, TOY_ID_VALUE, TOY_VENDOR, ToyCard, makeRig, toyDriver } from './toy-card.js';

type Log = string[];

function simpleDriver(name: string, pri: number, log: Log): driver_t<{ probed: number }> {
  return {
    name,
    softc: () => ({ probed: 0 }),
    probe(dev) {
      log.push(`probe ${name}`);
      device_get_softc(dev).probed++;
      return pci_get_vendor(dev) === TOY_VENDOR ? pri : ENXIO;
    },
    attach(dev) {
      log.push(`attach ${name} softc.probed=${device_get_softc(dev).probed}`);
      return 0;
    },
    detach: () => 0,
  };
}

function detachIn(rig: ReturnType<typeof makeRig>, dev: Device): { error: number | null } {
  const out = { error: null as number | null };
  rig.scheduler.spawn('devctl', Priority.Kernel, function* () {
    out.error = yield* device_detach(dev);
  });
  rig.engine.run();
  return out;
}

describe('newbus probe and attach', () => {
  it('picks the highest probe value at or below zero, the first of equals, and probes the winner again', () => {
    const rig = makeRig();
    const log: Log = [];
    rig.bus.addDriver(simpleDriver('generic', BUS_PROBE_GENERIC, log));
    rig.bus.addDriver(simpleDriver('nope', ENXIO, log));
    rig.bus.addDriver(simpleDriver('vendor', BUS_PROBE_VENDOR, log));
    rig.bus.addDriver(simpleDriver('vendor2', BUS_PROBE_VENDOR, log));
    rig.bus.addDriver(simpleDriver('dflt', BUS_PROBE_DEFAULT, log));
    const fn = rig.bus.addCard(new ToyCard(), 0);
    rig.engine.run();
    expect(log).toEqual([
      'probe generic', 'probe nope', 'probe vendor', 'probe vendor2', 'probe dflt',
      // The winner was not the last probed: it gets a fresh softc and a second probe (subr_bus.c).
      'probe vendor', 'attach vendor softc.probed=1',
    ]);
    expect(device_get_nameunit(fn.device)).toBe('vendor0');
    expect(fn.device.state).toBe('attached');
  });

  it('stops at BUS_PROBE_SPECIFIC and keeps what the probe put in the softc', () => {
    const rig = makeRig();
    const log: Log = [];
    rig.bus.addDriver(simpleDriver('exact', BUS_PROBE_SPECIFIC, log));
    rig.bus.addDriver(simpleDriver('later', BUS_PROBE_SPECIFIC, log));
    rig.bus.addCard(new ToyCard(), 0);
    rig.engine.run();
    expect(log).toEqual(['probe exact', 'attach exact softc.probed=1']);
  });

  it('numbers units per driver name from the lowest free one, reusing a detached unit', () => {
    const rig = makeRig();
    rig.bus.addDriver(toyDriver());
    const fns = [0, 1, 2].map((slot) => rig.bus.addCard(new ToyCard(), slot));
    rig.engine.run();
    expect(fns.map((f) => f.device.nameunit)).toEqual(['toy0', 'toy1', 'toy2']);
    expect(device_get_unit(fns[1]!.device)).toBe(1);
    expect(detachIn(rig, fns[1]!.device).error).toBe(0);
    expect(fns[1]!.device.state).toBe('notpresent');
    const again = rig.bus.addCard(new ToyCard(), 3);
    rig.engine.run();
    expect(again.device.nameunit).toBe('toy1');
    expect(rig.violations.count()).toBe(0);
  });

  it('says "no driver attached" for an unclaimed card and attaches it once a driver is added', () => {
    const rig = makeRig();
    const fn = rig.bus.addCard(new ToyCard(), 5);
    rig.engine.run();
    expect(rig.bus.tree.console.map((l) => l.text)).toEqual(['pci0: <vendor 0x1234, device 0x0001> at device 5.0 (no driver attached)']);
    expect(fn.device.nameunit).toBe('pci0:0:5:0');
    rig.bus.addDriver(toyDriver());
    rig.engine.run();
    expect(fn.device.nameunit).toBe('toy0');
    expect(fn.device.state).toBe('attached');
  });

  it('prints the attach line and device_printf messages with the device name and simulated time', () => {
    const rig = makeRig();
    let t = -1;
    rig.bus.addDriver(
      toyDriver({
        onAttach: (dev) => {
          t = rig.scheduler.localNow();
          device_printf(dev, 'hello from attach\n');
        },
      }),
    );
    const fn = rig.bus.addCard(new ToyCard(), 0);
    rig.engine.run();
    const base = fn.config.barBase(0);
    expect(rig.bus.tree.console).toEqual([
      { t: expect.any(Number), text: `toy0: <Toy test card> mem 0x${base.toString(16)}-0x${(base + 0xfff).toString(16)} irq 16 at device 0.0 on pci0` },
      { t, text: 'toy0: hello from attach' },
    ]);
    expect(rig.trace.all.some((e) => e.kind === 'console' && e.fields?.['text'] === 'toy0: hello from attach')).toBe(true);
  });

  it('reports a failed attach, frees the unit and releases what the driver had allocated', () => {
    const rig = makeRig();
    const failing: driver_t<object> = {
      name: 'toy',
      softc: () => ({}),
      probe: () => BUS_PROBE_DEFAULT,
      attach(dev) {
        bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0));
        return ENXIO;
      },
      detach: () => 0,
    };
    rig.bus.addDriver(failing);
    const fn = rig.bus.addCard(new ToyCard(), 0);
    rig.engine.run();
    const text = rig.bus.tree.console.map((l) => l.text);
    expect(text).toContain('device_attach: toy0 attach returned 6');
    expect(text).toContain('pci0:0:0:0: Device leaked memory resources');
    expect(fn.device.state).toBe('notpresent');
    expect(fn.device.resources.size).toBe(0);
    expect(rig.violations.count('resource-leak')).toBe(1);
    expect(rig.bus.tree.allocUnit('toy')).toBe(0); // unit 0 was given back
  });

  it('releases and reports the resources and interrupt handler a detach leaves behind', () => {
    const rig = makeRig();
    rig.bus.addDriver(toyDriver({ leakOnDetach: true }));
    const fn = rig.bus.addCard(new ToyCard(), 0);
    rig.engine.run();
    expect(detachIn(rig, fn.device).error).toBe(0);
    const text = rig.bus.tree.console.map((l) => l.text);
    expect(text).toEqual(
      expect.arrayContaining([
        'pci0:0:0:0: Device left an interrupt handler set up on irq16',
        'pci0:0:0:0: Device leaked IRQ resources',
        'pci0:0:0:0: Device leaked memory resources',
      ]),
    );
    const v = rig.violations.all.find((x) => x.kind === 'resource-leak')!;
    expect(v.device).toBe('toy0');
    expect(v.message).toMatch(/interrupt handler on irq16, IRQ rid 0x0, memory rid 0x10/);
    expect(rig.bus.intc.stats().find((s) => s.irq === 16)!.handlers).toBe(0);
  });

  it('lets attach sleep, runs it in the boot thread and charges its bus cycles there', () => {
    const rig = makeRig();
    const seen: { thread: string; id: number; before: number; after: number }[] = [];
    const sleepy: driver_t<object> = {
      name: 'sleepy',
      softc: () => ({}),
      probe: () => BUS_PROBE_DEFAULT,
      *attach(dev) {
        const td = rig.scheduler.current!;
        const mem = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0))!;
        const id = bus_space_read_4(mem, REG_ID);
        const before = td.localTime;
        yield td.pause(1_000_000_000); // 1 ms, as a driver waiting for a PLL to settle
        seen.push({ thread: td.name, id, before, after: rig.scheduler.current!.localTime });
        return 0;
      },
      detach: () => 0,
    };
    rig.bus.addDriver(sleepy);
    rig.bus.addCard(new ToyCard(), 0);
    rig.engine.run();
    const s = seen[0]!;
    expect(s.thread).toBe('swapper');
    expect(s.id).toBe(TOY_ID_VALUE);
    expect(s.after - s.before).toBeGreaterThanOrEqual(1_000_000_000);
    const swapper = rig.scheduler.threadUsage().find((u) => u.name === 'swapper')!;
    expect(swapper.cpuTimePs).toBeGreaterThanOrEqual(DEFAULT_PCI_TIMING.mmioReadCycles * 30_000);
  });
});
