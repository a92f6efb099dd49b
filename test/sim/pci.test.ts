import { describe, expect, it } from 'vitest';
import { Priority } from '../../sim/cpu.js';
import { RF_ACTIVE, SYS_RES_MEMORY, bus_alloc_resource_any } from '../../sim/newbus.js';
import {
  DEFAULT_PCI_TIMING, PCIM_CMD_BUSMASTEREN, PCIM_CMD_MEMEN, PCIM_STATUS_CAPPRESENT, PCIM_STATUS_RMABORT, PCIR_BAR,
  PCIR_CAP_PTR, PCIR_COMMAND, PCIR_DEVICE, PCIR_STATUS, PCIR_VENDOR, PCIY_MSI, PciAccessError, PciConfigSpace,
  bus_space_read_2, bus_space_read_4, bus_space_write_1, bus_space_write_4, pci_enable_busmaster, pci_msi_count,
  pci_read_config, pci_write_config,
} from '../../sim/pci.js';
import { REG_ID, REG_SCRATCH, TOY_ID_VALUE, ToyCard, makeRig } from './toy-card.js';

const PCI_CLOCK_PS = 30_000; // 33⅓ MHz

describe('PCI config space', () => {
  it('sizes a BAR the PCI way: all-ones written, the size mask read back, the base restorable', () => {
    const cfg = new PciConfigSpace(new ToyCard({ msiVectors: 4 }));
    const bar = PCIR_BAR(0);
    expect(cfg.read(bar, 4)).toBe(0);
    cfg.write(bar, 0xffffffff, 4);
    const mask = cfg.read(bar, 4);
    expect(mask).toBe(0xfffff000);
    expect((~(mask & 0xfffffff0) >>> 0) + 1).toBe(4096);
    cfg.write(bar, 0xe0001000, 4);
    expect(cfg.read(bar, 4)).toBe(0xe0001000);
    // An unimplemented BAR reads 0 whatever is written.
    cfg.write(PCIR_BAR(1), 0xffffffff, 4);
    expect(cfg.read(PCIR_BAR(1), 4)).toBe(0);
  });

  it('keeps identity registers read-only and links an MSI capability from 0x34', () => {
    const cfg = new PciConfigSpace(new ToyCard({ msiVectors: 4 }));
    cfg.write(PCIR_VENDOR, 0xdead, 2);
    expect(cfg.read(PCIR_VENDOR, 2)).toBe(0x1234);
    expect(cfg.read(PCIR_DEVICE, 2)).toBe(0x0001);
    expect(cfg.read(PCIR_STATUS, 2) & PCIM_STATUS_CAPPRESENT).toBe(PCIM_STATUS_CAPPRESENT);
    const cap = cfg.read(PCIR_CAP_PTR, 1);
    expect(cfg.read(cap, 1)).toBe(PCIY_MSI);
    expect(cfg.msiCapable).toBe(4);
    expect(() => cfg.read(0x05, 2)).toThrow(/not aligned/);
    expect(() => new PciConfigSpace({ ...new ToyCard(), bars: [{ size: 3000 }] })).toThrow(/power of two/);
  });

  it('reads the sizing mask through pci_read_config on a device in a slot', () => {
    const { bus } = makeRig();
    const fn = bus.addCard(new ToyCard({ msiVectors: 2 }), 2, { attach: false });
    const dev = fn.device;
    const base = pci_read_config(dev, PCIR_BAR(0), 4);
    expect(base).toBeGreaterThanOrEqual(0xc0000000); // the firmware placed it in the MMIO window
    pci_write_config(dev, PCIR_BAR(0), 0xffffffff, 4);
    expect(pci_read_config(dev, PCIR_BAR(0), 4)).toBe(0xfffff000);
    pci_write_config(dev, PCIR_BAR(0), base, 4);
    expect(pci_read_config(dev, PCIR_BAR(0), 4)).toBe(base);
    expect(pci_msi_count(dev)).toBe(2);
  });
});

describe('PCI MMIO', () => {
  it('returns all-ones from reads while memory decoding is off in the command register', () => {
    const { bus } = makeRig();
    const card = new ToyCard();
    const dev = bus.addCard(card, 0, { attach: false }).device;
    const res = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0), RF_ACTIVE)!;
    expect(pci_read_config(dev, PCIR_COMMAND, 2) & PCIM_CMD_MEMEN).toBe(PCIM_CMD_MEMEN); // activation enabled it
    expect(bus_space_read_4(res, REG_ID)).toBe(TOY_ID_VALUE);
    pci_write_config(dev, PCIR_COMMAND, pci_read_config(dev, PCIR_COMMAND, 2) & ~PCIM_CMD_MEMEN, 2);
    expect(bus_space_read_4(res, REG_ID)).toBe(0xffffffff);
    expect(bus_space_read_2(res, REG_ID)).toBe(0xffff);
    expect(card.reads.length).toBe(1); // the card never saw the undecoded reads
  });

  it('charges a read its bus latency on the calling thread, and the read sees an earlier posted write', () => {
    const { bus, engine, scheduler } = makeRig();
    const card = new ToyCard();
    const dev = bus.addCard(card, 0, { attach: false }).device;
    const res = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0), RF_ACTIVE)!;
    const seen: { t0: number; tw: number; tr: number; cpu0: number; cpu1: number; value: number }[] = [];
    scheduler.spawn('tester', Priority.Kernel, function* (td) {
      const t0 = td.localTime;
      const cpu0 = td.cpuTime;
      bus_space_write_4(res, REG_SCRATCH, 0xabcd);
      const tw = td.localTime;
      const value = bus_space_read_4(res, REG_SCRATCH);
      seen.push({ t0, tw, tr: td.localTime, cpu0, cpu1: td.cpuTime, value });
    });
    engine.run();
    const s = seen[0]!;
    const readPs = DEFAULT_PCI_TIMING.mmioReadCycles * PCI_CLOCK_PS;
    expect(s.value).toBe(0xabcd);
    expect(s.tw - s.t0).toBe(DEFAULT_PCI_TIMING.mmioWritePs);
    expect(s.tr - s.tw).toBe(readPs);
    expect(s.cpu1 - s.cpu0).toBe(DEFAULT_PCI_TIMING.mmioWritePs + readPs);
    // The posted write reached the card at the thread's local time; the read happened after it.
    expect(card.writes[0]!.t).toBe(s.tw);
    expect(card.reads[0]!.t).toBe(s.tr);
  });

  it('rejects accesses outside the BAR or misaligned with an error naming the device and offset', () => {
    const { bus } = makeRig();
    const dev = bus.addCard(new ToyCard(), 3, { attach: false }).device;
    const res = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0), RF_ACTIVE)!;
    expect(() => bus_space_read_4(res, 0x1000)).toThrow(PciAccessError);
    expect(() => bus_space_read_4(res, 0xffe)).toThrow(/offset 0xffe .*pci0:0:3:0/);
    expect(() => bus_space_write_4(res, 0x2, 1)).toThrow(/0x2 of pci0:0:3:0 BAR0 is not aligned/);
    expect(() => bus_space_write_1(res, 0x3, 1)).not.toThrow();
  });
});

describe('PCI bus-master DMA', () => {
  function twoCards() {
    const rig = makeRig();
    const a = new ToyCard();
    const b = new ToyCard();
    const fa = rig.bus.addCard(a, 0, { attach: false });
    const fb = rig.bus.addCard(b, 1, { attach: false });
    pci_enable_busmaster(fa.device);
    pci_enable_busmaster(fb.device);
    return { ...rig, a, b, fa, fb };
  }

  it('reports dma-without-busmaster and aborts the transfer while bus mastering is off', () => {
    const { bus, engine, mem, violations } = makeRig();
    const card = new ToyCard();
    bus.addCard(card, 0, { attach: false });
    const buf = mem.malloc(256)!;
    buf.bytes.fill(0x11);
    let result: boolean | null = null;
    card.port!.dmaWrite(buf.paddr, new Uint8Array(256).fill(0x99), 0, (ok) => (result = ok));
    engine.run();
    expect(result).toBe(false);
    expect(violations.count('dma-without-busmaster')).toBe(1);
    expect(violations.all[0]!.device).toBe('pci0:0:0:0');
    expect(buf.bytes.every((x) => x === 0x11)).toBe(true);
  });

  it('lands written bytes in physical memory at completion, not before, and reads memory back', () => {
    const { engine, mem, a, fa } = twoCards();
    const buf = mem.malloc(4096)!;
    buf.bytes.fill(0xee);
    const data = Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff);
    let doneAt = -1;
    a.port!.dmaWrite(buf.paddr, data, 0, (ok, t) => {
      expect(ok).toBe(true);
      doneAt = t;
    });
    const expected = (4 + (4096 / 64) * (64 / 4 + 4)) * PCI_CLOCK_PS;
    engine.runUntil(expected - 1);
    expect(buf.bytes.every((x) => x === 0xee)).toBe(true); // nothing lands before completion
    engine.run();
    expect(doneAt).toBe(expected);
    expect(buf.bytes).toEqual(data);
    let back: Uint8Array | null = null;
    a.port!.dmaRead(buf.paddr + 100, 50, engine.now, (d) => (back = d));
    engine.run();
    expect(back).toEqual(data.subarray(100, 150));
    expect(fa.stats.bytesWritten).toBe(4096);
    expect(fa.stats.bytesRead).toBe(50);
  });

  it('makes two devices on one bus share its bandwidth, one transfer at a time in request order', () => {
    const { engine, mem, bus, a, b } = twoCards();
    const bufA = mem.malloc(8192)!;
    const bufB = mem.malloc(8192)!;
    const done: [string, number][] = [];
    const len = 4096;
    // duration = setup + bursts × (ceil(64 / 4) data cycles + overhead), at 30 ns a clock
    const cycles = DEFAULT_PCI_TIMING.dmaSetupCycles + (len / 64) * (64 / 4 + DEFAULT_PCI_TIMING.dmaBurstOverheadCycles);
    const d = cycles * PCI_CLOCK_PS;
    a.port!.dmaWrite(bufA.paddr, new Uint8Array(len), 0, (_ok, t) => {
      done.push(['a1', t]);
      // Requested after b's transfer: it must wait for it.
      a.port!.dmaWrite(bufA.paddr + len, new Uint8Array(len), t, (_ok2, t2) => done.push(['a2', t2]));
    });
    b.port!.dmaWrite(bufB.paddr, new Uint8Array(len), 0, (_ok, t) => done.push(['b1', t]));
    engine.run();
    expect(done).toEqual([['a1', d], ['b1', 2 * d], ['a2', 3 * d]]);
    const stats = bus.dmaStats();
    expect(stats.bus.busyPs).toBe(3 * d);
    expect(stats.bus.bytesWritten).toBe(3 * len);
    expect(stats.bus.utilisation).toBe(1);
    expect(stats.devices.map((s) => [s.device, s.bytesWritten, s.busyPs])).toEqual([
      ['pci0:0:0:0', 2 * len, 2 * d],
      ['pci0:0:1:0', len, d],
    ]);
    expect(stats.devices[1]!.waitPs).toBe(d); // b waited for a's first transfer
    // 4096 bytes per 1284 clocks of 30 ns: about 106 MB/s, below the 133 MB/s peak.
    expect(len / (d / 1e12) / 1e6).toBeCloseTo(106.3, 1);
  });

  it('counts a burst straddling an alignment boundary as two bursts', () => {
    const { bus } = twoCards();
    // 64 bytes from 0x1020: two bursts of 32 bytes (8 data cycles each).
    expect(bus.dma.cycles(0x1020, 64)).toBe(4 + 2 * (8 + 4));
    // 6 bytes from 0x1003 touch dwords 0x1000..0x1008: three data cycles.
    expect(bus.dma.cycles(0x1003, 6)).toBe(4 + 3 + 4);
  });

  it('master-aborts DMA outside physical memory with a violation and the status bit set', () => {
    const { engine, mem, violations, a, fa } = twoCards();
    let got: Uint8Array | null | undefined;
    a.port!.dmaRead(mem.size - 16, 64, 0, (data) => (got = data));
    engine.run();
    expect(got).toBeNull();
    expect(violations.count('dma-master-abort')).toBe(1);
    expect(violations.all[0]!.message).toMatch(/outside physical memory/);
    expect(fa.config.status & PCIM_STATUS_RMABORT).toBe(PCIM_STATUS_RMABORT);
    expect(fa.config.command & PCIM_CMD_BUSMASTEREN).toBe(PCIM_CMD_BUSMASTEREN);
  });

  it('tells the bus_dma checker about every transfer before its bytes move', () => {
    const { engine, mem, bus, a } = twoCards();
    const calls: string[] = [];
    const buf = mem.malloc(128)!;
    bus.dmaChecker = {
      deviceAccess: (device, kind, paddr, len, t) => {
        calls.push(`${device} ${kind} ${paddr === buf.paddr} ${len} ${t}`);
        expect(buf.bytes[0]).not.toBe(0x5a);
      },
    };
    a.port!.dmaWrite(buf.paddr, new Uint8Array(128).fill(0x5a), 0, () => {});
    engine.run();
    expect(calls).toEqual([`pci0:0:0:0 write true 128 ${(4 + 2 * 20) * PCI_CLOCK_PS}`]);
    expect(buf.bytes[0]).toBe(0x5a);
  });
});
