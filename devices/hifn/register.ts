/**
 * Registers the Hifn family with the card registry (devices/registry.ts): the hifn(4) driver and
 * one model per part, by the names scenarios use (`hifn7751`, `hifn7951`, `hifn7955`,
 * `hifn7956`). Ring occupancy is read from the driver's softc (sc_cmdu ... sc_resu, the counts
 * hifn(4) keeps of descriptors handed to the chip and not yet reclaimed).
 */
import { registerCardFamily } from '../registry.js';
import type { Device } from '../../sim/newbus.js';
import { HifnModel, hifnDriver, type HifnPartName, type HifnSoftc } from './index.js';
import { HIFN_D_CMD_RSIZE, HIFN_D_DST_RSIZE, HIFN_D_RES_RSIZE, HIFN_D_SRC_RSIZE } from './regs.js';

const PARTS: Record<HifnPartName, string> = {
  '7751': 'Hifn 7751: DES, 3DES, ARC4, MD5/SHA1 (HMAC)',
  '7951': 'Hifn 7951: 7751 algorithms, RNG, public-key unit',
  '7955': 'Hifn 7955: 7951 algorithms and AES',
  '7956': 'Hifn 7956: 7955 with the faster PLL-clocked engine',
};

registerCardFamily({
  family: 'hifn',
  description: 'Hifn 7751/7951/7955/7956 (hifn(4))',
  driver: (ctx) => hifnDriver({ crypto: ctx.crypto, prng: ctx.prng.stream('hifn.iv') }),
  models: Object.fromEntries(
    (Object.keys(PARTS) as HifnPartName[]).map((part) => [
      `hifn${part}`,
      {
        description: PARTS[part],
        create: (ctx) => new HifnModel({ part, trace: ctx.trace, prng: ctx.prng, ...(ctx.backend ? { backend: ctx.backend } : {}) }),
      },
    ]),
  ),
  rings(dev: Device) {
    const sc = dev.softc as HifnSoftc | null;
    if (!sc || dev.state !== 'attached') return null;
    return {
      cmd: { used: sc.sc_cmdu, size: HIFN_D_CMD_RSIZE },
      src: { used: sc.sc_srcu, size: HIFN_D_SRC_RSIZE },
      dst: { used: sc.sc_dstu, size: HIFN_D_DST_RSIZE },
      res: { used: sc.sc_resu, size: HIFN_D_RES_RSIZE },
    };
  },
  faults: (model) => (model instanceof HifnModel ? model.env.faults : null),
});
