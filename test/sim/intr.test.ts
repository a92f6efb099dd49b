import { describe, expect, it } from 'vitest';
import { SleepNotAllowedError, ThreadCrashedError } from '../../sim/cpu.js';
import { ENXIO } from '../../sim/errno.js';
import {
  BUS_PROBE_DEFAULT, RF_ACTIVE, Resource, SYS_RES_IRQ, SYS_RES_MEMORY, bus_alloc_resource_any, bus_setup_intr,
  device_get_softc, driver_t,
} from '../../sim/newbus.js';
import {
  DEFAULT_INTR_LATENCY_PS, DEFAULT_INTR_STORM_THRESHOLD, FILTER_HANDLED, FILTER_SCHEDULE_THREAD, FILTER_STRAY,
  INTR_MPSAFE, INTR_TYPE_MISC,
} from '../../sim/intr.js';
import {
  PCIM_CMD_INTxDIS, PCIR_BAR, PCIR_COMMAND, bus_space_read_4, bus_space_write_4, pci_alloc_msi, pci_get_vendor,
  pci_read_config,
} from '../../sim/pci.js';
import { REG_STATUS, TOY_VENDOR, ToyCard, makeRig, softcOf, toyDriver } from './toy-card.js';

const CONTEXT_SWITCH_PS = 300_000; // the Scheduler's default

function sharedLine() {
  const rig = makeRig();
  rig.bus.addDriver(toyDriver());
  const a = new ToyCard();
  const b = new ToyCard();
  // Slots 0 and 4 with INTA# land on the same line through the bridge swizzle.
  const fa = rig.bus.addCard(a, 0);
  const fb = rig.bus.addCard(b, 4);
  rig.engine.run();
  return { ...rig, a, b, fa, fb, sa: softcOf(fa.device), sb: softcOf(fb.device) };
}

describe('level-triggered INTx', () => {
  it('runs every filter on a line shared by two devices; each claims only its own interrupt', () => {
    const { engine, bus, a, b, fa, fb, sa, sb } = sharedLine();
    expect([fa.irq, fb.irq]).toEqual([16, 16]);
    expect(bus.intc.threadName(16)).toBe('irq16: toy0');
    const t1 = engine.now + 10_000_000;
    engine.schedule(t1, () => a.raise());
    engine.run();
    expect([sa.filterCalls, sa.filterHandled, sb.filterCalls, sb.filterHandled]).toEqual([1, 1, 1, 0]);
    // The filter starts after the context switch and the interrupt latency.
    expect(sa.lastFilterT).toBe(t1 + CONTEXT_SWITCH_PS + DEFAULT_INTR_LATENCY_PS);
    expect(a.status).toBe(0);
    expect(bus.intc.isAsserted(16)).toBe(false);

    const t2 = engine.now + 10_000_000;
    engine.schedule(t2, () => {
      a.raise();
      b.raise();
    });
    engine.run();
    expect([sa.filterHandled, sb.filterHandled]).toEqual([2, 1]);
    expect(b.status).toBe(0);
    expect(bus.intc.stats().find((s) => s.irq === 16)!.runs).toBe(2);
  });

  it('masks a device INTx while the command register has INTx disable set', () => {
    const { engine, bus, a, fa, sa } = sharedLine();
    fa.config.write(PCIR_COMMAND, fa.config.command | PCIM_CMD_INTxDIS, 2);
    engine.schedule(engine.now + 1000, () => a.raise());
    engine.run();
    expect(sa.filterCalls).toBe(0);
    expect(bus.intc.isAsserted(16)).toBe(false);
  });

  it('runs ithread handlers when a filter returns FILTER_SCHEDULE_THREAD', () => {
    const { bus, engine, scheduler } = makeRig();
    const where: string[] = [];
    const drv: driver_t<{ mem: Resource | null }> = {
      name: 'toyth',
      softc: () => ({ mem: null }),
      probe: (dev) => (pci_get_vendor(dev) === TOY_VENDOR ? BUS_PROBE_DEFAULT : ENXIO),
      attach(dev) {
        const sc = device_get_softc(dev);
        sc.mem = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0));
        const irq = bus_alloc_resource_any(dev, SYS_RES_IRQ, 0)!;
        bus_setup_intr(
          dev, irq, INTR_TYPE_MISC | INTR_MPSAFE,
          () => (bus_space_read_4(sc.mem!, REG_STATUS) ? FILTER_SCHEDULE_THREAD : FILTER_STRAY),
          () => {
            where.push(scheduler.current!.name);
            bus_space_write_4(sc.mem!, REG_STATUS, bus_space_read_4(sc.mem!, REG_STATUS));
          },
          sc,
        );
        return 0;
      },
      detach: () => 0,
    };
    bus.addDriver(drv);
    const card = new ToyCard();
    bus.addCard(card, 2);
    engine.run();
    engine.schedule(engine.now + 1000, () => card.raise());
    engine.run();
    expect(where).toEqual(['irq18: toyth0']);
    expect(card.status).toBe(0);
  });
});

describe('MSI', () => {
  it('delivers each message vector to its own IRQ and ithread, with INTx masked', () => {
    const { bus, engine } = makeRig();
    const got: [number, string][] = [];
    const drv: driver_t<{ irqs: Resource[] }> = {
      name: 'toymsi',
      softc: () => ({ irqs: [] }),
      probe: (dev) => (pci_get_vendor(dev) === TOY_VENDOR ? BUS_PROBE_DEFAULT : ENXIO),
      attach(dev) {
        const sc = device_get_softc(dev);
        bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0), RF_ACTIVE);
        const count = { value: 4 };
        expect(pci_alloc_msi(dev, count)).toBe(0);
        expect(count.value).toBe(2); // the card supports two messages
        for (let rid = 1; rid <= count.value; rid++) {
          const irq = bus_alloc_resource_any(dev, SYS_RES_IRQ, rid)!;
          sc.irqs.push(irq);
          bus_setup_intr(dev, irq, INTR_TYPE_MISC | INTR_MPSAFE, () => {
            got.push([rid - 1, bus.scheduler.current!.name]);
            return FILTER_HANDLED;
          }, null, null);
        }
        return 0;
      },
      detach: () => 0,
    };
    bus.addDriver(drv);
    const card = new ToyCard({ msiVectors: 2 });
    const fn = bus.addCard(card, 1);
    engine.run();
    expect(fn.config.msiEnabled).toBe(true);
    expect(pci_read_config(fn.device, PCIR_COMMAND, 2) & PCIM_CMD_INTxDIS).toBe(PCIM_CMD_INTxDIS);
    engine.schedule(engine.now + 1000, () => card.port!.sendMsi(1));
    engine.schedule(engine.now + 50_000_000, () => card.port!.sendMsi(0));
    engine.schedule(engine.now + 90_000_000, () => card.raise()); // INTx: masked while MSI is on
    engine.schedule(engine.now + 95_000_000, () => card.port!.sendMsi(3)); // not enabled: dropped
    engine.run();
    expect(got).toEqual([[1, 'irq257: toymsi0'], [0, 'irq256: toymsi0']]);
    expect(bus.intc.isAsserted(fn.irq)).toBe(false);
  });
});

describe('interrupt storms', () => {
  it.each([
    ['no filter claims the line', () => FILTER_STRAY, /no filter claimed it/],
    ['the filter never clears the cause', () => FILTER_HANDLED, /did not clear its cause/],
  ])('detects a storm when %s, names the line and masks it', (_label, filter, why) => {
    const { bus, engine, violations } = makeRig();
    bus.addDriver(toyDriver({ filter }));
    const card = new ToyCard();
    bus.addCard(card, 0);
    engine.run();
    const t0 = engine.now + 1000;
    engine.schedule(t0, () => card.raise());
    engine.run();
    expect(violations.count('interrupt-storm')).toBe(1);
    const v = violations.all[0]!;
    expect(v.device).toBe('toy0');
    expect(v.operation).toBe('irq16');
    expect(v.message).toMatch(/interrupt storm detected on "irq16: toy0"/);
    expect(v.message).toMatch(why);
    expect(v.t).toBeGreaterThan(t0 + DEFAULT_INTR_STORM_THRESHOLD * DEFAULT_INTR_LATENCY_PS);
    expect(bus.intc.isMasked(16)).toBe(true);
    expect(bus.intc.stats().find((s) => s.irq === 16)!.runs).toBe(DEFAULT_INTR_STORM_THRESHOLD);
    expect(card.status).toBe(1); // still asserted, but nobody is called any more
  });
});

describe('interrupt context rules', () => {
  it('throws SleepNotAllowedError when a filter tries to sleep', () => {
    const { bus, engine, scheduler } = makeRig();
    bus.addDriver(
      toyDriver({
        filter: () => {
          scheduler.current!.msleep({}, 'bad');
          return FILTER_HANDLED;
        },
      }),
    );
    const card = new ToyCard();
    bus.addCard(card, 0);
    engine.run();
    engine.schedule(engine.now + 1000, () => card.raise());
    let err: unknown;
    try {
      engine.run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ThreadCrashedError);
    const original = (err as ThreadCrashedError).original;
    expect(original).toBeInstanceOf(SleepNotAllowedError);
    expect((original as Error).message).toMatch(/interrupt filter toy0/);
  });

  it('rejects a filter return value FreeBSD would assert on', () => {
    const { bus, engine } = makeRig();
    bus.addDriver(toyDriver({ filter: () => 0 }));
    const card = new ToyCard();
    bus.addCard(card, 0);
    engine.run();
    engine.schedule(engine.now + 1000, () => card.raise());
    expect(() => engine.run()).toThrow(/incorrect return value 0 from the filter of toy0/);
  });
});
