import type { Prng } from '../../../sim/prng.js';

/**
 * A length in whole `block`s for the differential tests, in the mix: 0, 1-4 blocks, odd
 * multiples, short random ones, and up to 64 KiB.
 */
export function differentialLength(rng: Prng, block = 1): number {
  const r = rng.nextFloat();
  const blocks = r < 0.08 ? 0
    : r < 0.35 ? rng.int(1, 4)
      : r < 0.55 ? 2 * rng.int(2, 60) + 1
        : r < 0.9 ? rng.int(1, Math.floor(600 / block))
          : rng.int(1, 65536 / block);
  return blocks * block;
}
