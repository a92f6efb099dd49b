import { describe, expect, it } from 'vitest';
import { TraceRecorder } from '../../../sim/trace.js';
import { RegisterFile, type RegisterWrite } from '../../../devices/kit/registers.js';
import { bench } from './harness.js';

type Names = 'ID' | 'CTRL' | 'CSR' | 'IER' | 'EVENTS' | 'SECRET' | 'STAT' | 'CLR' | 'HALF' | 'BYTE';

function file(trace?: TraceRecorder) {
  const writes: RegisterWrite<Names>[] = [];
  let dynamic = 0;
  const f = new RegisterFile<Names>({
    name: 'BAR0',
    size: 0x100,
    ...(trace ? { trace, device: () => 'card0' } : {}),
    registers: [
      { name: 'ID', offset: 0x00, reset: 0x13a30005, access: 'ro' },
      { name: 'CTRL', offset: 0x04, fields: [
        { name: 'RESET', mask: 0x1, access: 'sc' }, { name: 'ENA', mask: 0x2, access: 'rw' },
        { name: 'GO', mask: 0x4, access: 'pulse' }, { name: 'SET', mask: 0x8, access: 'w1s' } ],
        onWrite: (e) => writes.push(e) },
      { name: 'CSR', offset: 0x40, reset: 0, fields: [
        { name: 'D_CTRL', mask: 0xc0000000, access: 'pulse' }, { name: 'D_DONE', mask: 0x10000000, access: 'w1c' },
        { name: 'S_DONE', mask: 0x00001000, access: 'w1c' }, { name: 'C_DONE', mask: 0x00000010, access: 'w1c' } ],
        onWrite: (e) => writes.push(e) },
      { name: 'IER', offset: 0x44 },
      { name: 'EVENTS', offset: 0x48, access: 'rc', onRead: () => undefined },
      { name: 'SECRET', offset: 0x4c, access: 'wo' },
      { name: 'STAT', offset: 0x50, access: 'rc', onRead: (e) => e.reg.value | dynamic },
      { name: 'CLR', offset: 0x54, access: 'pulse', readAlias: 'STAT', onWrite: (e) => writes.push(e) },
      { name: 'HALF', offset: 0x58, width: 2, reset: 0xbeef },
      { name: 'BYTE', offset: 0x5b, width: 1, reset: 0x7f },
    ],
    regions: [{ name: 'PUB_MEM', offset: 0x80, size: 0x40 }],
  });
  return { f, writes, setDynamic: (v: number) => (dynamic = v) };
}

describe('RegisterFile: access kinds', () => {
  it('RO keeps its reset value whatever software writes; the device may still set it', () => {
    const { f } = file();
    f.write(0x00, 4, 0xffffffff, 1);
    expect(f.read(0x00, 4, 2)).toBe(0x13a30005);
    f.set('ID', 0x13a30012);
    expect(f.read(0x00, 4, 3)).toBe(0x13a30012);
  });

  it('RW stores what is written; a register without fields is all RW', () => {
    const { f } = file();
    f.write(0x44, 4, 0x80000001, 1);
    expect(f.read(0x44, 4, 2)).toBe(0x80000001);
  });

  it('W1C clears exactly the bits written as 1, and pulse bits are reported but never stored', () => {
    const { f, writes } = file();
    f.reg('CSR').setBits(0x10001010);
    f.write(0x40, 4, 0x80000010, 5); // D_CTRL=10 (enable) and clear C_DONE
    expect(f.get('CSR')).toBe(0x10001000);
    const e = writes.at(-1)!;
    expect(e.pulsed).toBe(0x80000000);
    expect(e.cleared).toBe(0x10);
    expect(e.old).toBe(0x10001010);
    expect(e.t).toBe(5);
    expect(f.read(0x40, 4, 6)).toBe(0x10001000); // the pulse field reads 0
    f.write(0x40, 4, 0, 7);
    expect(f.get('CSR')).toBe(0x10001000);
  });

  it('self-clearing bits are set by software and cleared only by the device; W1S bits only set', () => {
    const { f } = file();
    f.write(0x04, 4, 0x1 | 0x2 | 0x8, 1);
    expect(f.read(0x04, 4, 2)).toBe(0xb);
    f.write(0x04, 4, 0x0, 3);
    expect(f.read(0x04, 4, 4)).toBe(0x9); // RESET and SET stay, ENA (rw) cleared
    f.reg('CTRL').clearBits(0x1); // the device finishes its reset
    expect(f.reg('CTRL').field('RESET')).toBe(0);
    expect(f.reg('CTRL').field('SET')).toBe(1);
  });

  it('read-to-clear returns the value once, and writes to it are ignored', () => {
    const { f } = file();
    f.set('EVENTS', 7);
    f.write(0x48, 4, 0, 1);
    expect(f.read(0x48, 4, 2)).toBe(7);
    expect(f.read(0x48, 4, 3)).toBe(0);
  });

  it('write-only registers read as 0 but keep the value for the device', () => {
    const { f } = file();
    f.write(0x4c, 4, 0xdeadbeef, 1);
    expect(f.read(0x4c, 4, 2)).toBe(0);
    expect(f.get('SECRET')).toBe(0xdeadbeef);
  });

  it('a read alias returns the other register, with its read hook and side effects; writes stay its own', () => {
    const { f, writes, setDynamic } = file();
    f.set('STAT', 0x30);
    setDynamic(0x100);
    expect(f.read(0x54, 4, 1)).toBe(0x130); // STAT's onRead, through CLR
    expect(f.get('STAT')).toBe(0); // STAT is read-to-clear
    f.write(0x54, 4, 0x5, 2);
    expect(writes.at(-1)!.reg.name).toBe('CLR');
    expect(writes.at(-1)!.pulsed).toBe(0x5);
  });
});

describe('RegisterFile: widths, lanes and regions', () => {
  it('a byte write touches only its lane: W1C bits in other lanes are not cleared', () => {
    const { f } = file();
    f.reg('CSR').setBits(0x10001010);
    f.write(0x41, 1, 0xff, 1); // lane 1 holds S_DONE (0x1000 >> 8 = 0x10)
    expect(f.get('CSR')).toBe(0x10000010);
  });

  it('narrow reads return the right lanes, 16- and 8-bit registers included', () => {
    const { f } = file();
    f.write(0x44, 4, 0x11223344, 1);
    expect(f.read(0x46, 2, 2)).toBe(0x1122);
    expect(f.read(0x45, 1, 3)).toBe(0x33);
    expect(f.read(0x58, 2, 4)).toBe(0xbeef);
    // One 32-bit read across HALF (0x58), a hole (0x5a) and BYTE (0x5b).
    expect(f.read(0x58, 4, 5)).toBe(0x7f00beef);
    expect(f.unmodelled).toEqual([{ offset: 0x58, op: 'read', width: 4, value: 0x7f00beef, firstT: 5, count: 1 }]);
  });

  it('regions are plain little-endian memory with a write hook', () => {
    const { f } = file();
    f.write(0x80, 4, 0x04030201, 1);
    f.write(0x84, 2, 0x0605, 2);
    expect([...f.region('PUB_MEM').subarray(0, 6)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(f.read(0x82, 2, 3)).toBe(0x0403);
  });

  it('rejects misaligned accesses and accesses outside the BAR', () => {
    const { f } = file();
    expect(() => f.read(0x42, 4, 0)).toThrow(/aligned/);
    expect(() => f.write(0x100, 4, 0, 0)).toThrow(/outside/);
  });
});

describe('RegisterFile: unmodelled registers', () => {
  it('counts, records and traces an access nothing models, without throwing', () => {
    const trace = new TraceRecorder({ enabled: true });
    const { f } = file(trace);
    expect(f.read(0xf4, 4, 10)).toBe(0);
    f.write(0xfc, 4, 0x1234, 11);
    f.write(0xfc, 4, 0x5678, 12);
    expect(f.unmodelledCount).toBe(3);
    expect(f.unmodelled).toEqual([
      { offset: 0xf4, op: 'read', width: 4, value: 0, firstT: 10, count: 1 },
      { offset: 0xfc, op: 'write', width: 4, value: 0x5678, firstT: 11, count: 2 },
    ]);
    const ev = trace.all.filter((e) => e.kind === 'reg.unmodelled');
    expect(ev).toHaveLength(3);
    expect(ev[0]).toMatchObject({ t: 10, layer: 'device', where: 'card0', fields: { file: 'BAR0', op: 'read', offset: 0xf4 } });
  });

  it('an unmodelled read returns the configured value', () => {
    const f = new RegisterFile({ name: 'BAR1', size: 0x10, registers: [], unmodelledRead: 0xffffffff });
    expect(f.read(0x4, 4, 0)).toBe(0xffffffff);
    expect(f.read(0x6, 2, 0)).toBe(0xffff);
  });

  it('a card with no file for a BAR reports every access to it, under the card name', () => {
    const { card, env, sys } = bench();
    expect(card.mmioRead(0, 0x10, 4, 5)).toBe(0);
    card.mmioWrite(0, 0x10, 4, 1, 6);
    expect(sys.trace.all.filter((e) => e.kind === 'reg.unmodelled').map((e) => e.where)).toEqual([env.name, env.name]);
    expect(card.unmodelled).toMatchObject([{ bar: 0, file: 'BAR0', op: 'read', offset: 0x10, count: 1 }, { bar: 0, op: 'write', offset: 0x10, value: 1 }]);
  });
});

describe('RegisterFile: declaration checks and the one-screen map', () => {
  it('rejects overlapping registers, overlapping fields, aliases of other widths and bad masks', () => {
    expect(() => new RegisterFile({ name: 'B', size: 0x10, registers: [{ name: 'A', offset: 0 }, { name: 'B', offset: 2, width: 2 }] })).toThrow(/overlaps/);
    expect(() => new RegisterFile({ name: 'B', size: 0x10, registers: [{ name: 'A', offset: 0, fields: [{ name: 'X', mask: 3, access: 'rw' }, { name: 'Y', mask: 2, access: 'ro' }] }] })).toThrow(/overlaps another field/);
    expect(() => new RegisterFile({ name: 'B', size: 0x10, registers: [{ name: 'A', offset: 0 }, { name: 'C', offset: 4, width: 2, readAlias: 'A' }] })).toThrow(/same width/);
    expect(() => new RegisterFile({ name: 'B', size: 0x10, registers: [{ name: 'A', offset: 0, width: 1, fields: [{ name: 'X', mask: 0x100, access: 'rw' }] }] })).toThrow(/wider/);
    expect(() => new RegisterFile({ name: 'B', size: 0x10, registers: [{ name: 'A', offset: 0x10 }] })).toThrow(/outside/);
  });

  it('describes the map in offset order with fields and access kinds', () => {
    const { f } = file();
    const text = f.describe();
    const order = ['ID', 'CTRL', 'CSR', 'IER', 'EVENTS', 'SECRET', 'STAT', 'CLR', 'HALF', 'BYTE', 'PUB_MEM'].map((n) => text.indexOf(n));
    expect(order.every((x, i) => x > 0 && (i === 0 || x > order[i - 1]!))).toBe(true);
    expect(text).toMatch(/D_DONE\s+0x10000000 w1c/);
    expect(text).toMatch(/CLR .* reads STAT/);
  });

  it('reset() puts every register back to its reset value', () => {
    const { f } = file();
    f.write(0x44, 4, 5, 0);
    f.write(0x58, 2, 1, 0);
    f.reset();
    expect(f.get('IER')).toBe(0);
    expect(f.get('HALF')).toBe(0xbeef);
  });
});
