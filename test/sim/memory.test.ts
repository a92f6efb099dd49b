import { describe, expect, it } from 'vitest';
import { M_NOWAIT, M_WAITOK, M_ZERO, MemoryError, PAGE_SIZE, PhysMemory } from '../../sim/memory.js';
import { Prng } from '../../sim/prng.js';

describe('PhysMemory', () => {
  it('gives every allocation a physical address and a view onto the same bytes', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    const b = mem.malloc(100, M_WAITOK | M_ZERO)!;
    b.bytes[3] = 0x5a;
    expect(mem.bytes[b.paddr + 3]).toBe(0x5a);
    expect(b.paddr).toBeGreaterThan(0);
  });

  it('never places a small allocation across a page boundary', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    for (let i = 0; i < 200; i++) {
      const b = mem.malloc(1 + (i % 2048), M_WAITOK)!;
      expect(Math.floor(b.paddr / PAGE_SIZE)).toBe(Math.floor((b.end - 1) / PAGE_SIZE));
    }
  });

  it('poisons freed memory and refuses a double free', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    const b = mem.malloc(8, M_WAITOK | M_ZERO, 'test')!;
    mem.free(b);
    expect(Array.from(mem.bytes.subarray(b.paddr, b.paddr + 4))).toEqual([0xde, 0xc0, 0xad, 0xde]);
    expect(() => mem.free(b)).toThrow(MemoryError);
    expect(() => mem.free(b)).toThrow(/double free of test block/);
  });

  it('reuses freed memory and coalesces free pages', () => {
    const mem = new PhysMemory({ size: 64 * PAGE_SIZE });
    const before = mem.freeBytes;
    const blocks = [1, 2, 3].map(() => mem.malloc(3 * PAGE_SIZE, M_WAITOK)!);
    blocks.forEach((b) => mem.free(b));
    expect(mem.freeBytes).toBe(before);
    const big = mem.malloc(9 * PAGE_SIZE, M_WAITOK)!;
    expect(big.paddr).toBe(blocks[0]!.paddr);
  });

  it('contigmalloc honours address range, alignment and boundary', () => {
    const mem = new PhysMemory({ size: 4 << 20 });
    mem.malloc(PAGE_SIZE, M_WAITOK); // perturb the first free page
    const b = mem.contigmalloc(3 * PAGE_SIZE, M_WAITOK, 1 << 20, (2 << 20) - 1, 4 * PAGE_SIZE, 16 * PAGE_SIZE)!;
    expect(b.paddr % (4 * PAGE_SIZE)).toBe(0);
    expect(b.paddr).toBeGreaterThanOrEqual(1 << 20);
    expect(b.end).toBeLessThanOrEqual(2 << 20);
    expect(Math.floor(b.paddr / (16 * PAGE_SIZE))).toBe(Math.floor((b.end - 1) / (16 * PAGE_SIZE)));
    expect(() => mem.contigmalloc(PAGE_SIZE, M_WAITOK, 0, 1 << 20, 3, 0)).toThrow(/alignment/);
    expect(() => mem.contigmalloc(2 * PAGE_SIZE, M_WAITOK, 0, 1 << 20, 1, PAGE_SIZE)).toThrow(/boundary/);
  });

  it('fails M_NOWAIT allocations when out of memory and throws for M_WAITOK', () => {
    const mem = new PhysMemory({ size: 8 * PAGE_SIZE });
    expect(mem.malloc(100 * PAGE_SIZE, M_NOWAIT)).toBeNull();
    expect(() => mem.malloc(100 * PAGE_SIZE, M_WAITOK)).toThrow(/out of physical memory/);
  });

  it('injects M_NOWAIT failures by count and by seeded rate, leaving M_WAITOK alone', () => {
    const mem = new PhysMemory({ size: 1 << 20, prng: new Prng(1) });
    mem.injectNowaitFailures({ count: 2 });
    expect(mem.malloc(10, M_NOWAIT)).toBeNull();
    expect(mem.malloc(10, M_WAITOK)).not.toBeNull();
    expect(mem.malloc(10, M_NOWAIT)).toBeNull();
    expect(mem.malloc(10, M_NOWAIT)).not.toBeNull();
    mem.injectNowaitFailures({ rate: 0.5 });
    let fails = 0;
    for (let i = 0; i < 1000; i++) {
      const b = mem.malloc(10, M_NOWAIT);
      if (b) mem.free(b);
      else fails++;
    }
    expect(fails).toBeGreaterThan(400);
    expect(fails).toBeLessThan(600);
  });

  it('names the bad argument for bad sizes and flags', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    expect(() => mem.malloc(-1, M_WAITOK)).toThrow(/size must be a positive integer/);
    expect(() => mem.malloc(0, M_WAITOK)).toThrow(/size/);
    expect(() => mem.malloc(8, 0)).toThrow(/M_NOWAIT and M_WAITOK/);
    expect(() => mem.malloc(8, M_NOWAIT | M_WAITOK)).toThrow(/M_NOWAIT and M_WAITOK/);
    expect(() => new PhysMemory({ size: 5 })).toThrow(/size/);
    expect(() => mem.view(mem.size - 2, 4)).toThrow(/outside physical memory/);
  });

  it('never hands out physical address 0', () => {
    const mem = new PhysMemory({ size: 16 * PAGE_SIZE });
    for (let i = 0; i < 10; i++) expect(mem.malloc(PAGE_SIZE, M_WAITOK)!.paddr).not.toBe(0);
  });

  it('tells CPU-access watchers about noted accesses', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    const seen: string[] = [];
    const off = mem.addCpuAccessHook((k, p, l) => seen.push(`${k}:${p}:${l}`));
    mem.noteCpu('read', 4096, 8);
    off();
    mem.noteCpu('write', 4096, 8);
    expect(seen).toEqual(['read:4096:8']);
  });
});
