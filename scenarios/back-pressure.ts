import { defineScenario } from '../lab/scenario.js';

export default defineScenario({
  name: 'back-pressure',
  description: 'A Hifn 7751 is driven past what its rings hold: hifn_process answers ERESTART, crypto_proc marks the driver blocked and requeues at the head, and the interrupt handler calls crypto_unblock as descriptors free up. Nothing is lost or reordered into corruption.',
  machine: { cpus: 2, hostProfile: 'p4-2003', slots: 1, cards: [{ slot: 0, card: 'hifn7751' }] },
  workloads: [{ kind: 'ipsec', name: 'esp', cipher: '3des-cbc', auth: 'hmac-sha1', sas: 2, sizes: [1500], crid: 'hardware', rate: 2_000 }],
  timeline: [
    { at: '0ms', phase: 'light' },
    { at: '3ms', steer: 'esp', outstanding: 200 },
    { at: '3ms', phase: 'overload' },
    { at: '13ms', steer: 'esp', rate: 2_000 },
    { at: '13ms', phase: 'recovered' },
  ],
  duration: '20ms',
  drain: '50ms',
  expect: [
    'no-lost',
    'no-duplicates',
    'no-corruption',
    'no-errors',
    'no-violations',
    { counter: { phase: 'light', name: 'cs_blocks', equals: 0 } },
    { counter: { phase: 'overload', name: 'cs_blocks', atLeast: 1 } },
    { counter: { phase: 'overload', name: 'unblocks', atLeast: 1 } },
    { servedBy: { workload: 'esp', driver: 'hifn0', equals: 1 } },
  ],
});
