/**
 * Hifn 7751 / 7951 / 7955 / 7956: the model (the silicon) and hifn(4) (the driver). The lab builds
 * cards from `hifnCards` and loads the driver with `hifnDriver`.
 *
 * @example
 *   machine.bus.addDriver(hifnDriver({ crypto: machine.crypto }));
 *   machine.cardbus.insert(0, hifnCards.hifn7956({ trace: machine.trace }));
 */
import { HifnModel, type HifnModelOptions } from './model.js';

export { HifnModel, type HifnModelOptions } from './model.js';
export { hifnDriver, type HifnBugs, type HifnDriverOptions, type HifnSoftc, type HifnStats } from './driver.js';
export { HIFN_PARTS, type HifnPartName } from './parts.js';
export { HIFN_TIMING, type HifnTiming } from './timing.js';

type CardOptions = Omit<HifnModelOptions, 'part'>;

/** One factory per part, for the lab's card registry. */
export const hifnCards = {
  hifn7751: (o: CardOptions = {}) => new HifnModel({ ...o, part: '7751' }),
  hifn7951: (o: CardOptions = {}) => new HifnModel({ ...o, part: '7951' }),
  hifn7955: (o: CardOptions = {}) => new HifnModel({ ...o, part: '7955' }),
  hifn7956: (o: CardOptions = {}) => new HifnModel({ ...o, part: '7956' }),
} as const;
