/**
 * The edu reference driver's state (its softc) and options. Split from driver.ts so that the
 * request path (driver-ring.ts) and bring-up (driver.ts) share one definition.
 */
import type { CryptoFramework } from '../../framework/crypto.js';
import type { cryptodesc, cryptop } from '../../framework/structs.js';
import type { BusDma, BusDmaMap, BusDmaTag } from '../../sim/busdma.js';
import type { MemBlock } from '../../sim/memory.js';
import type { Device, IntrCookie, Resource } from '../../sim/newbus.js';
import type { Prng } from '../../sim/prng.js';
import type { EduIo } from './request.js';

export interface EduDriverOptions {
  /** The machine's crypto(9) framework (`machine.crypto`). */
  crypto: CryptoFramework;
  /** Where generated IVs come from (default: a stream named after the device, seed 0x4544). */
  prng?: Prng;
  /** Descriptors in the ring (default 16; one is always left empty, so 15 requests fit). */
  ringEntries?: number;
  /** Completions per interrupt, written to EDU_CTRL.COALESCE (default 4). */
  coalesce?: number;
}

/** One session: the card's algorithm, the key (AES), and the key slot holding it (-1: none). */
export interface EduSession {
  used: boolean;
  alg: number;
  key: Uint8Array | null;
  slot: number;
}

/** One key slot of the card, used as a cache of session keys. */
export interface EduKeySlot {
  /** Session whose key is in the slot, or -1. */
  session: number;
  /** Requests posted to the card that use the slot: it cannot be rewritten while this is not 0. */
  busy: number;
  /** For LRU eviction. */
  lastUse: number;
}

/** One ring position and the request it holds. */
export interface EduRingEntry {
  map: BusDmaMap;
  crp: cryptop | null;
  crd: cryptodesc | null;
  io: EduIo | null;
  /** The region as the consumer gave it, put back if the request is handed back with EAGAIN. */
  saved: Uint8Array | null;
  slot: number;
}

export interface EduSoftc {
  dev: Device<EduSoftc>;
  crypto: CryptoFramework;
  prng: Prng | null;
  cid: number;
  mem: Resource | null;
  irq: Resource | null;
  cookie: IntrCookie | null;
  dma: BusDma | null;
  ringTag: BusDmaTag | null;
  ringMap: BusDmaMap | null;
  ring: MemBlock | null;
  ringPaddr: number;
  bufTag: BusDmaTag | null;
  entries: EduRingEntry[];
  size: number;
  /** Next position to fill (our copy of RING_TAIL), next to reclaim, positions in use. */
  tail: number;
  rec: number;
  used: number;
  /** We answered ERESTART: call crypto_unblock when room comes back. */
  needUnblock: boolean;
  gone: boolean;
  sessions: EduSession[];
  slots: EduKeySlot[];
  clock: number;
  interrupts: number;
  completed: number;
}
