/**
 * Every card family ocfsim ships, registered with the card registry on import. A new family adds
 * its folder's `register.ts` here.
 *
 * @example
 *   import { findCardModel, cardModelNames } from '../devices/index.js';
 *   cardModelNames(); // ['edu', 'hifn7751', 'hifn7951', 'hifn7955', 'hifn7956', 'toy']
 */
import './edu/register.js';
import './hifn/register.js';
import './toy/register.js';

export * from './registry.js';
