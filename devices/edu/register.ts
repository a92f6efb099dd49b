/**
 * Registers the edu teaching card with the card registry (devices/registry.ts), so that scenarios
 * can place it by name (`edu`), with its reference driver. Ring occupancy is the driver's count of
 * positions handed to the card and not yet reclaimed.
 */
import { registerCardFamily } from '../registry.js';
import type { Device } from '../../sim/newbus.js';
import { EduCard } from './model.js';
import { eduDriver, type EduSoftc } from './driver.js';

registerCardFamily({
  family: 'edu',
  description: 'the edu teaching crypto card (docs/devices/edu.md): one ring, AES-128-CBC and NULL',
  driver: (ctx) => eduDriver({ crypto: ctx.crypto, prng: ctx.prng.stream('edu.iv') }),
  models: { edu: { description: 'edu: AES-128-CBC and NULL, 8 key slots, jittered completions', create: (ctx) => new EduCard({ trace: ctx.trace, prng: ctx.prng }) } },
  rings(dev: Device) {
    const sc = dev.softc as EduSoftc | null;
    if (!sc || dev.state !== 'attached') return null;
    return { ring: { used: sc.used, size: sc.size } };
  },
  faults: (model) => (model instanceof EduCard ? model.env.faults : null),
});
