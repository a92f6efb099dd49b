import { defineScenario } from '../lab/scenario.js';

export default defineScenario({
  name: 'two-cards-balance',
  description: 'Two Hifn 7956 cards share eight ESP security associations: crypto_newsession picks the hardware driver with the fewest sessions, so each card gets four. hifn1 is ejected (orderly) at 10 ms: its sessions migrate to hifn0, the other hardware driver, not to software.',
  machine: { cpus: 2, hostProfile: 'p4-2003', slots: 2, cards: [{ slot: 0, card: 'hifn7956' }, { slot: 1, card: 'hifn7956' }] },
  workloads: [{ kind: 'ipsec', name: 'esp', cipher: 'aes-cbc', auth: 'hmac-sha1', sas: 8, sizes: 'imix', rate: 50_000 }],
  timeline: [
    { at: '0ms', phase: 'two cards' },
    { at: '10ms', eject: 'hifn1', mode: 'orderly' },
    { at: '10ms', phase: 'one card' },
  ],
  duration: '20ms',
  expect: [
    'no-lost',
    'no-duplicates',
    'no-corruption',
    'eagain-resubmitted',
    'no-violations',
    { servedBy: { phase: 'two cards', workload: 'esp', driver: 'hifn0', atLeast: 0.4, atMost: 0.6 } },
    { servedBy: { phase: 'two cards', workload: 'esp', driver: 'hifn1', atLeast: 0.4, atMost: 0.6 } },
    { migrations: { workload: 'esp', equals: 4 } },
    { servedBy: { phase: 'one card', workload: 'esp', driver: 'hifn0', atLeast: 0.95 } },
    { servedBy: { workload: 'esp', driver: 'cryptosoft', equals: 0 } },
  ],
});
