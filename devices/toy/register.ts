/**
 * Registers the toy bus-master card (not a crypto card: it inverts bytes by DMA) with the card
 * registry, so that substrate scenarios can place it by name (`toy`).
 */
import { registerCardFamily } from '../registry.js';
import { ToyDmaCard } from './model.js';
import { toyDmaDriver } from './driver.js';

registerCardFamily({
  family: 'toy',
  description: 'the toy bus-master DMA card of docs/writing-a-model.md',
  driver: () => toyDmaDriver(),
  models: { toy: { description: 'toy DMA card: inverts a buffer by bus-master DMA', create: () => new ToyDmaCard() } },
});
