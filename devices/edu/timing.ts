/**
 * The edu card's timing table. The card is made up for teaching, so every source says so; the
 * figures are chosen to be of the order of a 2005-era PCI crypto part (a 100 MHz core, a 128-bit
 * AES datapath doing one round per cycle), so that offload still pays for large requests.
 * DMA time is not here: the PCI bus model decides it (sim/pci-bus.ts).
 */
import { defineTiming } from '../kit/timing.js';

export const EDU_TIMING = defineTiming({
  coreHz: { value: 100_000_000, unit: 'Hz', source: 'made up: a 100 MHz core, as many PCI crypto parts of 2005' },
  fetchCycles: { value: 8, unit: 'cycles', source: 'made up: parsing a descriptor after its fetch' },
  engineSetupCycles: { value: 40, unit: 'cycles', source: 'made up: loading the key slot and the IV into the engine' },
  aesCyclesPerBlock: { value: 11, unit: 'cycles', source: 'made up: one AES-128 round per cycle plus one (10 rounds)' },
  nullBytesPerCycle: { value: 8, unit: 'bytes/cycle', source: 'made up: the NULL pass-through moves a 64-bit word per cycle' },
  writeBackCycles: { value: 4, unit: 'cycles', source: 'made up: building the STATUS word' },
  resetCycles: { value: 100, unit: 'cycles', source: 'made up: CTRL.RESET clears itself 1 µs after it is set' },
  dmaBurstBytes: { value: 128, unit: 'bytes', source: 'made up: the card re-arbitrates the bus every 128 bytes' },
  prefetch: { value: 4, unit: 'descriptors', source: 'made up: descriptors inside the card at once' },
  engines: { value: 2, unit: 'engines', source: 'made up: two crypto engines, so requests can finish out of order' },
  jitterMaxPs: {
    value: 40_000_000,
    unit: 'ps',
    source: 'made up: up to 40 µs of extra engine time per request, uniform, from the seeded PRNG (the labs\' source of reordering; 0 turns it off)',
  },
});
