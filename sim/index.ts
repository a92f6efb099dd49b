/** The simulated-machine substrate, for users who build models and drivers (`ocfsim/sim`). */
export * from './engine.js';
export * from './clock.js';
export * from './cpu.js';
export * from './memory.js';
export * from './prng.js';
export * from './trace.js';
export * from './violations.js';
export * from './sysctl.js';
export * from './errno.js';
export * from './mbuf.js';
export * from './uio.js';
export * from './busdma.js';
export * from './pci.js';
export * from './intr.js';
export * from './newbus.js';
export * from './hotplug.js';
export * from './system.js';
