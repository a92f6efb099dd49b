import { describe, expect, it } from 'vitest';
import { Machine } from '../../../lab/machine.js';
import { EduCard } from '../../../devices/edu/model.js';
import * as edu from '../../../devices/edu/driver.js';
import type { EduSoftc } from '../../../devices/edu/driver.js';
import {
  EDU_CTRL_ENABLE, EDU_ID_VALUE, EDU_ISR_ERROR, EDU_REG_CTRL, EDU_REG_ID, EDU_REG_ISR, EDU_REG_KEY, EDU_REG_RING_HEAD,
  EDU_REG_RING_SIZE, EDU_REG_RING_TAIL, EDU_REG_STATUS, EDU_STATUS_HALTED,
} from '../../../devices/edu/regs.js';
import { runLabCheck } from '../../../lab/labcheck.js';
import { bootRig, makeSessions, mixedRequests, startWorkload } from '../../../lab/labcheck-rig.js';
import { bus_space_read_4, bus_space_write_4 } from '../../../sim/pci.js';
import type { Device } from '../../../sim/newbus.js';

function boot(o: { seed?: number; jitterPs?: number } = {}) {
  const rig = bootRig(edu, { seed: o.seed ?? 1, ...(o.jitterPs !== undefined ? { jitterPs: o.jitterPs } : {}) });
  expect(rig.attachError).toBeNull();
  return { ...rig, sc: (rig.dev as Device<EduSoftc>).softc! };
}

function load(rig: ReturnType<typeof boot>, n: number) {
  const rnd = rig.m.prng.stream('test.workload');
  const sessions = makeSessions(3, 1, rnd);
  const run = startWorkload(rig, { sessions, requests: mixedRequests(n, sessions, rnd, 16), window: 10 }, rig.m.prng.stream('test.data'));
  rig.m.run();
  return run;
}

describe('the edu card and its reference driver', () => {
  it('answers its ID, comes out of reset enabled by the driver, and keeps key slots write-only', () => {
    const { card, sc, m } = boot();
    expect(bus_space_read_4(sc.mem!, EDU_REG_ID)).toBe(EDU_ID_VALUE);
    expect(bus_space_read_4(sc.mem!, EDU_REG_CTRL) & EDU_CTRL_ENABLE).toBe(EDU_CTRL_ENABLE);
    expect(bus_space_read_4(sc.mem!, EDU_REG_RING_SIZE)).toBe(16);
    bus_space_write_4(sc.mem!, EDU_REG_KEY(7, 2), 0xdeadbeef);
    m.runUntil(m.now + 1_000_000);
    expect(bus_space_read_4(sc.mem!, EDU_REG_KEY(7, 2))).toBe(0);
    expect([...card.keySlot(7).subarray(8, 12)]).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect(card.unmodelled).toEqual([]);
  });

  it('gets full marks in every driver lab (2-6)', () => {
    for (const lab of [2, 3, 4, 5, 6]) {
      const r = runLabCheck(lab, edu, { seeds: [3] });
      expect(r.checks.filter((c) => !c.passed)).toEqual([]);
    }
  });

  it('finishes descriptors out of order with jitter, in order without, and HEAD stays in ring order', () => {
    const jittery = boot({ seed: 4 });
    const a = load(jittery, 60);
    const calm = boot({ seed: 4, jitterPs: 0 });
    const b = load(calm, 60);
    expect(a.finished && b.finished).toBe(true);
    expect(jittery.card.stats.outOfOrder).toBeGreaterThan(0);
    expect(calm.card.stats.outOfOrder).toBe(0);
    for (const r of [jittery, calm]) {
      expect(r.m.violations.all).toEqual([]);
      expect(r.card.stats.completed).toBe(60);
      expect(r.sc.completed).toBe(60);
    }
  });

  it('coalesces: fewer DONE interrupts than completions, and one when the ring drains', () => {
    const r = boot({ seed: 5 });
    expect(load(r, 40).finished).toBe(true);
    expect(r.card.stats.doneRaised).toBeLessThan(20);
    expect(r.sc.interrupts).toBeLessThan(20);
    const few = boot({ seed: 5 });
    expect(load(few, 3).finished).toBe(true); // fewer than COALESCE = 4: only the drain can signal them
    expect(few.card.coalescer.stats.byFlush).toBeGreaterThan(0);
  });

  it('halts with ISR.ERROR when TAIL passes a descriptor it does not own, and says why', () => {
    const { card, sc, m } = boot();
    bus_space_write_4(sc.mem!, EDU_REG_RING_TAIL, 3);
    m.runUntil(m.now + 100_000_000);
    expect(card.haltReason).toMatch(/descriptor 0 \(between HEAD and TAIL\) is not owned by the card/);
    expect(bus_space_read_4(sc.mem!, EDU_REG_STATUS) & EDU_STATUS_HALTED).toBe(EDU_STATUS_HALTED);
    expect(bus_space_read_4(sc.mem!, EDU_REG_RING_HEAD)).toBe(0);
    expect(m.console.some((l) => /halted/.test(l.text))).toBe(true);
    expect(bus_space_read_4(sc.mem!, EDU_REG_ISR) & EDU_ISR_ERROR).toBe(0); // the handler acknowledged it
  });

  it('halts on a TAIL outside the ring', () => {
    const { card, sc, m } = boot();
    bus_space_write_4(sc.mem!, EDU_REG_RING_TAIL, 16);
    m.runUntil(m.now + 10_000_000);
    expect(card.haltReason).toMatch(/RING_TAIL was set to 16, outside the 16-descriptor ring/);
  });

  it('gives the same trace for the same seed', () => {
    const hash = () => {
      const r = boot({ seed: 9 });
      load(r, 20);
      return r.m.trace.hash();
    };
    expect(hash()).toBe(hash());
  });

  it('is a PCI card any machine can take: the reference driver attaches by vendor and device id', () => {
    const m = new Machine({ seed: 1 });
    m.bus.addDriver(edu.eduDriver({ crypto: m.crypto }));
    m.cardbus.insert(1, new EduCard({ prng: m.prng.stream('edu.jitter') }));
    m.runUntil(3_000_000_000);
    expect(m.console.map((l) => l.text)).toContain('crypto: assign edu0 driver id 1, flags 0x1000000');
  });
});
