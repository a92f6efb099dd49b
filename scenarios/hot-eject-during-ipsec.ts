/**
 * `npm start` runs this one. docs/scenarios.md explains it line by line.
 */
import { defineScenario } from '../lab/scenario.js';

export default defineScenario({
  name: 'hot-eject-during-ipsec',
  description: 'hifn0 is pulled out at 5 ms under ESP load: its sessions migrate to cryptosoft and nothing is lost; the card is re-inserted at 20 ms and, after a rekey, new sessions go back to hardware.',
  machine: { cpus: 2, hostProfile: 'p4-2003', slots: 2, cards: [{ slot: 0, card: 'hifn7956' }] },
  workloads: [{ kind: 'ipsec', name: 'esp', cipher: 'aes-cbc', auth: 'hmac-sha1', sas: 4, sizes: 'imix', rate: 40_000 }],
  timeline: [
    { at: '0ms', phase: 'hardware' },
    { at: '5ms', eject: 'hifn0', mode: 'surprise' },
    { at: '5ms', phase: 'software' },
    { at: '20ms', insert: 'hifn7956', slot: 0 },
    { at: '20ms', phase: 'reinserted' },
    { at: 'hifn0 attached', rekey: 'esp' },
    { at: 'hifn0 attached', phase: 'hardware again' },
  ],
  duration: '75ms',
  expect: [
    'no-lost',
    'no-duplicates',
    'no-corruption',
    'eagain-resubmitted',
    'no-violations',
    { migrations: { workload: 'esp', equals: 4 } },
    { servedBy: { phase: 'hardware', workload: 'esp', driver: 'hifn', atLeast: 0.99 } },
    { servedBy: { phase: 'software', workload: 'esp', driver: 'cryptosoft', atLeast: 0.95 } },
    { servedBy: { phase: 'hardware again', workload: 'esp', driver: 'hifn', atLeast: 0.9 } },
    { throughput: { phase: 'software', workload: 'esp', atLeast: 30_000 } },
  ],
});
