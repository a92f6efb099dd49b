/** mbuf copy throughput and bus_dma load throughput. */
import { PhysMemory } from '../sim/memory.js';
import { m_copyback, m_copydata, m_fromBytes } from '../sim/mbuf.js';
import { BusDma, BUS_DMA_NOWAIT, BUS_SPACE_MAXADDR } from '../sim/busdma.js';
import { ViolationLog } from '../sim/violations.js';
import { rate, type BenchResult } from './harness.js';

export function buffersBench(): BenchResult[] {
  const mem = new PhysMemory({ size: 64 << 20 });
  const size = 16 * 1024;
  const data = new Uint8Array(size).map((_, i) => i & 0xff);
  // An IPsec-like chain: a small header mbuf, then clusters.
  const m = m_fromBytes(mem, data, { segments: [100, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048 - 100] });
  const out = new Uint8Array(size);
  const copydata = rate(() => {
    for (let i = 0; i < 100; i++) m_copydata(m, 0, size, out);
    return 100 * size;
  });
  const copyback = rate(() => {
    for (let i = 0; i < 100; i++) m_copyback(m, 0, size, data);
    return 100 * size;
  });

  const results: BenchResult[] = [
    { name: 'mbuf m_copydata (16 KiB over 9 mbufs)', value: copydata / 1e6, unit: 'MB/s' },
    { name: 'mbuf m_copyback (16 KiB over 9 mbufs)', value: copyback / 1e6, unit: 'MB/s' },
  ];

  for (const strict of [false, true]) {
    const dma = new BusDma({ mem, violations: new ViolationLog(), now: () => 0, strict });
    const tag = dma.bus_dma_tag_create(null, 1, 0, BUS_SPACE_MAXADDR, BUS_SPACE_MAXADDR, 0x3ffff, 64, 0xffff, 0, 'bench0');
    const map = dma.bus_dmamap_create(tag, 0);
    const pkt = m_fromBytes(mem, new Uint8Array(1500), { segments: [54, 1446] });
    const loads = rate(() => {
      for (let i = 0; i < 1000; i++) {
        dma.bus_dmamap_load_mbuf_sg(tag, map, pkt, BUS_DMA_NOWAIT);
        dma.bus_dmamap_unload(tag, map);
      }
      return 1000;
    });
    results.push({ name: `bus_dma load_mbuf+unload (2 mbufs, strict ${strict ? 'on' : 'off'})`, value: loads, unit: 'ops/s' });
  }
  return results;
}
