/**
 * The "datasheet" of the kit's example card, shared by its model and its driver: a made-up PCI
 * "XOR/memcpy engine" with one descriptor ring in host memory. Not a crypto card; it exists to
 * show a complete card built with devices/kit (docs/writing-a-model.md walks through it).
 *
 * BAR0 (256 bytes):
 *
 * | off  | name           | fields                                                    |
 * |------|----------------|-----------------------------------------------------------|
 * | 0x00 | XOR_ID         | RO "XOR1"                                                 |
 * | 0x04 | XOR_CTRL       | RESET b0 (self-clearing after ~1 µs), RUN b1              |
 * | 0x08 | XOR_STATUS     | DONE b0, ERROR b1 (write 1 to clear), IDLE b8 (RO)        |
 * | 0x0C | XOR_IER        | DONE b0, ERROR b1                                         |
 * | 0x10 | XOR_RING_BASE  | physical base of the ring, 16-byte aligned                |
 * | 0x14 | XOR_DOORBELL   | write 1 to KICK: the card fetches descriptors             |
 * | 0x18 | XOR_COALESCE   | COUNT b0-7 (completions per interrupt), TIMEOUT_US b8-23  |
 * | 0x1C | XOR_DONE_COUNT | completions since the last read (read-to-clear)           |
 *
 * Descriptor (16 bytes, little-endian): CTL, SRC, DST, KEY. CTL: VALID b31 (the card owns it),
 * JUMP b30 (DST holds the next descriptor's address), MASKIRQ b29 (no interrupt for this one),
 * ERR b28 (written by the card), OP b24-25 (0 copy, 1 xor with KEY repeated), LEN b0-15.
 */
import { DescriptorLayout } from '../descriptor.js';

export const XOR_VENDOR = 0x1af4;
export const XOR_DEVICE = 0x7002;
export const XOR_ID_VALUE = 0x31524f58; // "XOR1" in little-endian bytes

export const XOR_BAR_SIZE = 0x100;
export const XOR_REG_ID = 0x00;
export const XOR_REG_CTRL = 0x04;
export const XOR_REG_STATUS = 0x08;
export const XOR_REG_IER = 0x0c;
export const XOR_REG_RING_BASE = 0x10;
export const XOR_REG_DOORBELL = 0x14;
export const XOR_REG_COALESCE = 0x18;
export const XOR_REG_DONE_COUNT = 0x1c;

export const XOR_CTRL_RESET = 0x1;
export const XOR_CTRL_RUN = 0x2;
export const XOR_STATUS_DONE = 0x1;
export const XOR_STATUS_ERROR = 0x2;
export const XOR_STATUS_IDLE = 0x100;
export const XOR_IER_DONE = 0x1;
export const XOR_IER_ERROR = 0x2;
export const XOR_DOORBELL_KICK = 0x1;
export const XOR_COALESCE_COUNT = 0x0000ff;
export const XOR_COALESCE_TIMEOUT_US = 0xffff00;

export const XOR_OP_COPY = 0;
export const XOR_OP_XOR = 1;

/** Largest buffer one descriptor moves. */
export const XOR_MAX_LEN = 0xffff;
export const XOR_DESC_SIZE = 16;

export const XOR_DESC = new DescriptorLayout('xor_desc', XOR_DESC_SIZE, {
  valid: { offset: 0, mask: 0x80000000 },
  jump: { offset: 0, mask: 0x40000000 },
  maskIrq: { offset: 0, mask: 0x20000000 },
  err: { offset: 0, mask: 0x10000000 },
  op: { offset: 0, mask: 0x03000000 },
  len: { offset: 0, mask: 0x0000ffff },
  src: { offset: 4 },
  dst: { offset: 8 },
  key: { offset: 12 },
});
export type XorDescField = (typeof XOR_DESC.fieldNames)[number];
