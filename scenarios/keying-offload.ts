import { defineScenario } from '../lab/scenario.js';

export default defineScenario({
  name: 'keying-offload',
  description: 'RSA-1024 private-key operations (CRK_MOD_EXP) first on the Hifn 7956 public-key unit, then on cryptosoft, then what the card cannot do (CRT and Diffie-Hellman) in software: the card is slower per operation than a 2.4 GHz CPU, but leaves that CPU free.',
  machine: { cpus: 2, hostProfile: 'p4-2003', slots: 1, cards: [{ slot: 0, card: 'hifn7956' }], sysctl: { 'kern.cryptodevallowsoft': 1 } },
  workloads: [
    { kind: 'keying', name: 'ike-pk', ops: ['modexp'], crid: 'hardware', outstanding: 2 },
    { kind: 'keying', name: 'ike-soft', ops: ['modexp'], crid: 'software', outstanding: 2, start: false },
    { kind: 'keying', name: 'ike-crt-dh', ops: ['modexp-crt', 'dh'], crid: 'any', outstanding: 2, start: false },
  ],
  timeline: [
    { at: '0ms', phase: 'pk unit' },
    { at: '40ms', stop: 'ike-pk' },
    { at: '40ms', start: 'ike-soft' },
    { at: '40ms', phase: 'software modexp' },
    { at: '80ms', stop: 'ike-soft' },
    { at: '80ms', start: 'ike-crt-dh' },
    { at: '80ms', phase: 'software crt and dh' },
  ],
  duration: '120ms',
  drain: '60ms',
  expect: [
    'no-lost',
    'no-corruption',
    'no-errors',
    'no-violations',
    { servedBy: { workload: 'ike-pk', driver: 'hifn0', equals: 1 } },
    { servedBy: { workload: 'ike-soft', driver: 'cryptosoft0', equals: 1 } },
    // The PK unit does the work: the consumer's thread and the interrupt thread stay nearly idle.
    { cpu: { phase: 'pk unit', thread: 'ike-pk', atMost: 0.05 } },
    // In software the consumer's own thread computes the exponentiation (cryptosoft is synchronous).
    { cpu: { phase: 'software modexp', thread: 'ike-soft', atLeast: 0.5 } },
    { throughput: { phase: 'software crt and dh', workload: 'ike-crt-dh', atLeast: 200 } },
  ],
});
