/**
 * The device-model kit: what every card model is built from. See docs/writing-a-model.md.
 *
 * - register.ts, registers.ts: registers as data (access kinds, hooks) and the register file of a
 *   BAR (routing, byte lanes, regions, unmodelled-access reports)
 * - descriptor.ts: descriptor layouts and their little-endian codec (shared by model and driver)
 * - ring.ts: descriptor rings in host memory, walked by DMA, ownership as data, JUMP or count wrap
 * - dma.ts: the bus-master DMA engine (scatter lists, through the PCI port only)
 * - stage.ts: timed pipeline stages (a server with a FIFO queue per phase)
 * - timing.ts: per-card timing tables with a source for every constant
 * - coalesce.ts: interrupt coalescing (N completions or a timeout; masked completions)
 * - irq.ts: the card's interrupt output (INTx level, MSI on rising edges)
 * - faults.ts: fault injection (DMA error, stuck engine, dropped interrupt, corrupted descriptor)
 * - env.ts, card.ts: the shared environment of a card's parts and its bus interface
 */
export * from './env.js';
export * from './faults.js';
export * from './registers.js';
export * from './descriptor.js';
export * from './dma.js';
export * from './ring.js';
export * from './stage.js';
export * from './timing.js';
export * from './coalesce.js';
export * from './irq.js';
export * from './card.js';
