import { describe, expect, it } from 'vitest';
import { EBUSY } from '../../sim/errno.js';
import { CardBusBridge } from '../../sim/hotplug.js';
import { PCIR_CACHELNSZ, PCIR_LATTIMER, bus_space_read_4 } from '../../sim/pci.js';
import { REG_ID, TOY_ID_VALUE, ToyCard, ToyDriverOptions, makeRig, softcOf, toyDriver } from './toy-card.js';

const MS = 1_000_000_000;

/** A rig with a two-slot CardBus bridge and the toy driver registered under the name "hifn". */
function cardbus(driver: ToyDriverOptions = {}) {
  // CardBus functions interrupt through their bridge's one line, so cards in both slots share it.
  const rig = makeRig({ intxRoute: () => 11 });
  const cbb = new CardBusBridge({ bus: rig.bus, slots: 2 });
  const detaches: { name: string; thread: string; t: number; id: number }[] = [];
  rig.bus.addDriver(
    toyDriver({
      name: 'hifn',
      ...driver,
      onDetach: (dev, sc) => {
        detaches.push({ name: dev.nameunit, thread: rig.scheduler.current!.name, t: rig.scheduler.localNow(), id: bus_space_read_4(sc.mem!, REG_ID) });
      },
    }),
  );
  return { ...rig, cbb, detaches, console: () => rig.bus.tree.console.map((l) => l.text) };
}

describe('CardBus hot-plug', () => {
  it('attaches inserted cards as hifn0 and hifn1 from the cbb0 thread after the debounce', () => {
    const r = cardbus();
    const attached: string[] = [];
    r.bus.addDriver(toyDriver({ name: 'zzz', probe: -1000 })); // a worse match, never chosen
    const c0 = new ToyCard();
    const c1 = new ToyCard();
    const op0 = r.cbb.insert(0, c0);
    const op1 = r.cbb.insert(1, c1, 5 * MS);
    r.trace.subscribe((e) => e.kind === 'device.attached' && attached.push(`${e.where}@${e.t >= 5 * MS ? 'late' : 'early'}`));
    r.engine.run();
    expect(r.cbb.slots.map((s) => [s.state, s.device?.nameunit])).toEqual([['attached', 'hifn0'], ['attached', 'hifn1']]);
    expect(attached).toEqual(['hifn0@early', 'hifn1@late']);
    expect([op0.error, op1.error]).toEqual([0, 0]);
    expect(op0.completedAt).toBeGreaterThanOrEqual(r.cbb.insertDelayPs);
    expect(op1.completedAt).toBeGreaterThanOrEqual(5 * MS + r.cbb.insertDelayPs);
    expect(r.trace.all.find((e) => e.kind === 'thread.step' && e.where === 'cbb0')).toBeDefined();
    // cardbus_attach_card's register setup; the BAR was assigned when the driver allocated it.
    const fn = r.cbb.slots[0]!.fn!;
    expect([fn.config.read(PCIR_CACHELNSZ, 1), fn.config.read(PCIR_LATTIMER, 1)]).toEqual([8, 0xa8]);
    expect(fn.config.barBase(0)).toBeGreaterThanOrEqual(0xc0000000);
    expect(c0.port!.name).toBe('hifn0');
  });

  it('on a surprise eject mid-DMA: the transfer never lands, reads float to all-ones, the interrupt is lost, and detach runs after the delay', () => {
    const r = cardbus();
    const card = new ToyCard();
    const neighbour = new ToyCard();
    r.cbb.insert(0, card);
    r.cbb.insert(1, neighbour);
    r.engine.run();
    const dev = r.cbb.slots[0]!.device!;
    const sc = softcOf(dev);
    const scNeighbour = softcOf(r.cbb.slots[1]!.device!);
    const buf = r.mem.malloc(8192)!;
    buf.bytes.fill(0xee);
    let dmaCallbacks = 0;
    const t0 = r.engine.now;
    const duration = r.bus.dma.cycles(buf.paddr, 8192) * 30_000;
    const ejectAt = t0 + Math.floor(duration / 2);
    card.port!.dmaWrite(buf.paddr, new Uint8Array(8192).fill(0x42), t0, () => dmaCallbacks++);
    const op = r.cbb.eject('hifn0', 'surprise', ejectAt);
    r.engine.schedule(ejectAt + 1000, () => card.raise()); // the card's "done" interrupt, too late
    // The neighbour interrupts on the shared line before hifn0's detach: the bridge must not call
    // hifn0's filter, which would read all-ones from the empty socket and think every cause is set.
    r.engine.schedule(ejectAt + 2000, () => neighbour.raise());
    r.engine.run();

    expect(dmaCallbacks).toBe(0);
    expect(buf.bytes.every((x) => x === 0xee)).toBe(true);
    expect(card.disconnected).toBe(1);
    expect(sc.filterCalls).toBe(0);
    expect(scNeighbour.filterHandled).toBe(1);
    expect(r.bus.intc.isAsserted(11)).toBe(false);
    expect(r.detaches).toHaveLength(1);
    const d = r.detaches[0]!;
    expect(d.name).toBe('hifn0');
    expect(d.thread).toBe('cbb0');
    expect(d.id).toBe(0xffffffff);
    expect(d.t).toBeGreaterThanOrEqual(ejectAt + r.cbb.detachDelayPs);
    expect(d.t).toBeLessThan(ejectAt + r.cbb.detachDelayPs + 20_000_000);
    expect([op.done, op.error, op.detachError]).toEqual([true, 0, 0]);
    expect(r.cbb.slots[0]!.state).toBe('empty');
    expect(dev.state).toBe('deleted');
    expect(r.bus.dmaStats().devices[0]).toMatchObject({ device: 'hifn0', aborted: 1, bytesWritten: 0 });
    expect(r.violations.count()).toBe(0);
  });

  it('refuses an orderly eject whose detach returns EBUSY and keeps the card attached', () => {
    const r = cardbus({ detachResult: EBUSY });
    const card = new ToyCard();
    r.cbb.insert(0, card);
    r.engine.run();
    const dev = r.cbb.slots[0]!.device!;
    const op = r.cbb.eject(0, 'orderly');
    r.engine.run();
    expect(op.error).toBe(EBUSY);
    expect(r.detaches[0]!.id).toBe(TOY_ID_VALUE); // detach ran with the card present
    expect(r.cbb.slots[0]!.state).toBe('attached');
    expect(dev.state).toBe('attached');
    expect(card.disconnected).toBe(0);
    expect(r.console()).toContain('cbb0: hifn0 detach returned EBUSY; eject refused, the card stays in slot 0');
    expect(bus_space_read_4(softcOf(dev).mem!, REG_ID)).toBe(TOY_ID_VALUE);
  });

  it('releases the resources anyway when detach returns EBUSY after a surprise eject', () => {
    const r = cardbus({ detachResult: EBUSY });
    r.cbb.insert(0, new ToyCard());
    r.engine.run();
    const dev = r.cbb.slots[0]!.device!;
    const sc = softcOf(dev);
    const mem = sc.mem!;
    const op = r.cbb.eject('hifn0', 'surprise');
    r.engine.run();
    expect([op.error, op.detachError]).toEqual([0, EBUSY]);
    expect(dev.state).toBe('deleted');
    expect(r.cbb.slots[0]!.state).toBe('empty');
    expect(mem.released).toBe(true);
    expect(dev.resources.size).toBe(0);
    expect(r.bus.intc.stats().find((s) => s.irq === 11)!.handlers).toBe(0);
    const text = r.console();
    expect(text).toContain('hifn0: detach returned EBUSY but the card is gone; deleting the device anyway (pci_delete_child ignores it)');
    expect(text).toContain(`pci0:0:0:0: Resource still owned, oops. (type=3, rid=16, addr=${mem.start.toString(16)})`);
    expect(r.violations.count('resource-leak')).toBe(1);
    expect(() => bus_space_read_4(mem, REG_ID)).toThrow(/released/);
  });

  it('detaches an orderly eject with the card present, powers it off, and gives the unit to the next card', () => {
    const r = cardbus();
    const first = new ToyCard();
    r.cbb.insert(0, first);
    r.engine.run();
    const op = r.cbb.eject('hifn0', 'orderly');
    r.engine.run();
    expect(op.error).toBe(0);
    expect(r.detaches[0]!.id).toBe(TOY_ID_VALUE);
    expect(first.disconnected).toBe(1);
    expect(r.cbb.slots[0]!.state).toBe('empty');
    r.cbb.insert(1, new ToyCard());
    r.engine.run();
    expect(r.cbb.slots[1]!.device!.nameunit).toBe('hifn0');
    expect(r.violations.count()).toBe(0);
  });

  it('answers ENXIO for an eject of a device that is not there', () => {
    const r = cardbus();
    const op = r.cbb.eject('hifn7', 'surprise');
    r.engine.run();
    expect([op.done, op.error]).toEqual([true, 6]);
    expect(() => r.cbb.eject(5)).toThrow(/no slot 5/);
  });
});
