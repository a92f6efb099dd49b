/**
 * The "datasheet" of the edu crypto card, shared by its model and by every driver written for it
 * (the reference driver in this folder and the teaching labs in labs/). A made-up PCI card in the
 * spirit of QEMU's `edu` device, with the crypto QEMU's lacks: one descriptor ring in host memory,
 * a small key-slot table, AES-128-CBC and NULL. docs/devices/edu.md documents it register by
 * register; this file is what a driver includes, as a real driver includes the vendor's header.
 *
 * BAR0 (512 bytes):
 *
 * | off   | name           | access | fields                                                         |
 * |-------|----------------|--------|----------------------------------------------------------------|
 * | 0x00  | EDU_ID         | RO     | "EDU1"                                                         |
 * | 0x04  | EDU_CTRL       | RW     | RESET b0 (self-clearing), ENABLE b1, IRQ_EN b2, COALESCE b8-15 |
 * | 0x08  | EDU_STATUS     | RO     | IDLE b0, HALTED b1                                             |
 * | 0x0C  | EDU_ISR        | RO     | DONE b0, ERROR b1 (pending interrupt causes)                   |
 * | 0x10  | EDU_IACK       | W1C    | write DONE / ERROR bits to clear them in EDU_ISR               |
 * | 0x14  | EDU_RING_BASE  | RW     | physical address of the ring, 64-byte aligned                  |
 * | 0x18  | EDU_RING_SIZE  | RW     | descriptors in the ring, 2..256                                |
 * | 0x1C  | EDU_RING_HEAD  | RO     | next descriptor the card will complete                         |
 * | 0x20  | EDU_RING_TAIL  | RW     | next descriptor the driver will fill; a write is the doorbell  |
 * | 0x100 | EDU_KEY(s, w)  | WO     | key slot s (0..7), word w (0..3): 16 bytes of AES-128 key each |
 *
 * Descriptor (64 bytes, little-endian), see EDU_DESC below.
 */
import { DescriptorLayout } from '../kit/descriptor.js';

/** Made up, in QEMU edu's vendor space (QEMU's edu is 1234:11e8). */
export const EDU_VENDOR = 0x1234;
export const EDU_DEVICE = 0x11e9;
/** "EDU1" read as a little-endian word. */
export const EDU_ID_VALUE = 0x31554445;
export const EDU_BAR_SIZE = 0x200;

export const EDU_REG_ID = 0x00;
export const EDU_REG_CTRL = 0x04;
export const EDU_REG_STATUS = 0x08;
export const EDU_REG_ISR = 0x0c;
export const EDU_REG_IACK = 0x10;
export const EDU_REG_RING_BASE = 0x14;
export const EDU_REG_RING_SIZE = 0x18;
export const EDU_REG_RING_HEAD = 0x1c;
export const EDU_REG_RING_TAIL = 0x20;
export const EDU_REG_KEY_BASE = 0x100;

/** CTRL: RESET clears itself when the card is back in its reset state (about 1 µs). */
export const EDU_CTRL_RESET = 0x1;
/** CTRL: the card fetches descriptors between HEAD and TAIL only while ENABLE is set. */
export const EDU_CTRL_ENABLE = 0x2;
/** CTRL: drive the interrupt line while EDU_ISR has a cause. */
export const EDU_CTRL_IRQ_EN = 0x4;
/** CTRL bits 8-15: completions per DONE interrupt (0 and 1 both mean every completion). */
export const EDU_CTRL_COALESCE_MASK = 0xff00;
export const EDU_CTRL_COALESCE_SHIFT = 8;

/** STATUS: nothing fetched, queued or in flight, and no DMA left on the bus. */
export const EDU_STATUS_IDLE = 0x1;
/** STATUS: the card stopped on a ring error (see EDU_ISR_ERROR); only RESET restarts it. */
export const EDU_STATUS_HALTED = 0x2;

/** ISR / IACK: completions were made visible (HEAD moved). */
export const EDU_ISR_DONE = 0x1;
/** ISR / IACK: the card halted (a descriptor it did not own between HEAD and TAIL, or a ring DMA error). */
export const EDU_ISR_ERROR = 0x2;

export const EDU_RING_MIN = 2;
export const EDU_RING_MAX = 256;
/** Ring base and descriptor alignment. */
export const EDU_RING_ALIGN = 64;

export const EDU_KEY_SLOTS = 8;
export const EDU_KEY_BYTES = 16;
/** Offset of word `w` (0..3) of key slot `slot` (0..7): the key's bytes as little-endian words. */
export function EDU_REG_KEY(slot: number, w: number): number {
  return EDU_REG_KEY_BASE + slot * EDU_KEY_BYTES + 4 * w;
}

/** Algorithms (descriptor CTL.ALG). */
export const EDU_ALG_NULL = 0;
export const EDU_ALG_AES128_CBC = 1;

/** Descriptor STATUS codes, written by the card before it clears OWN. */
export const EDU_ST_OK = 0;
/** LEN is 0, larger than EDU_MAX_LEN, or not a multiple of 16 for AES. */
export const EDU_ST_BADLEN = 1;
export const EDU_ST_BADALG = 2;
/** KEY names no slot. */
export const EDU_ST_BADKEY = 3;
/** A data DMA failed. */
export const EDU_ST_DMAERR = 4;

/** Largest LEN of one descriptor. */
export const EDU_MAX_LEN = 0xfff0;
export const EDU_DESC_SIZE = 64;
export const AES_BLOCK = 16;

/**
 * The descriptor, 64 bytes (one cache line):
 *
 * | +off | word    | fields                                                                  |
 * |------|---------|-------------------------------------------------------------------------|
 * | 0x00 | CTL     | OWN b31 (the card owns it), ENCRYPT b8, KEY b16-18, ALG b0-3            |
 * | 0x04 | STATUS  | CODE b0-7, written by the card (EDU_ST_*) just before it clears OWN     |
 * | 0x08 | LEN     | bytes to process (1..EDU_MAX_LEN; a multiple of 16 for AES)             |
 * | 0x0C | SRC     | physical address the card reads LEN bytes from                          |
 * | 0x10 | DST     | physical address the card writes LEN bytes to (may equal SRC: in place) |
 * | 0x14 | COOKIE  | the driver's; the card never changes it and names it in its trace       |
 * | 0x20 | IV0-IV3 | the 16-byte CBC IV as four little-endian words                          |
 *
 * ocfsim: the card names COOKIE as the request id of its trace events, so a driver that puts
 * `crp_reqid` there gets the card's work linked to the request in the Perfetto trace.
 */
export const EDU_DESC = new DescriptorLayout('edu_desc', EDU_DESC_SIZE, {
  own: { offset: 0x00, mask: 0x80000000 },
  encrypt: { offset: 0x00, mask: 0x00000100 },
  key: { offset: 0x00, mask: 0x00070000 },
  alg: { offset: 0x00, mask: 0x0000000f },
  status: { offset: 0x04, mask: 0x000000ff },
  len: { offset: 0x08 },
  src: { offset: 0x0c },
  dst: { offset: 0x10 },
  cookie: { offset: 0x14 },
  iv0: { offset: 0x20 },
  iv1: { offset: 0x24 },
  iv2: { offset: 0x28 },
  iv3: { offset: 0x2c },
});
export type EduDescField = (typeof EDU_DESC.fieldNames)[number];

/** The four IV words of a 16-byte IV (little-endian), for EDU_DESC.encode. */
export function eduIvWords(iv: Uint8Array): { iv0: number; iv1: number; iv2: number; iv3: number } {
  const w = (i: number) => (iv[i]! | (iv[i + 1]! << 8) | (iv[i + 2]! << 16) | (iv[i + 3]! << 24)) >>> 0;
  return { iv0: w(0), iv1: w(4), iv2: w(8), iv3: w(12) };
}

/** The four little-endian words of a 16-byte key, to write to EDU_REG_KEY(slot, 0..3). */
export function eduKeyWords(key: Uint8Array): [number, number, number, number] {
  const w = (i: number) => (key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24)) >>> 0;
  return [w(0), w(4), w(8), w(12)];
}

/** Names of the status codes, for messages. */
export const EDU_ST_NAMES: Readonly<Record<number, string>> = { 0: 'OK', 1: 'BADLEN', 2: 'BADALG', 3: 'BADKEY', 4: 'DMAERR' };
