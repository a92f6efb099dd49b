/**
 * Register map of the toy bus-master card, shared by its model and its driver (the datasheet,
 * in effect). The card is not a crypto card: it reads a buffer from host memory by DMA, inverts
 * every byte, writes the result back by DMA and raises an interrupt. It exists to exercise the
 * substrate — MMIO, bus_dma, bus mastering, interrupts and hot-eject — in the demo and the tests.
 */
export const TOY_VENDOR = 0x1af4;
export const TOY_DEVICE = 0x7001;
export const TOY_ID = 0x544f5944; // "TOYD"

export const TOY_REG_ID = 0x00;
/** CTRL: START (self-clearing) and IRQ_EN. */
export const TOY_REG_CTRL = 0x04;
/** STATUS: DONE and ERROR are write-one-to-clear; BUSY is read-only. */
export const TOY_REG_STATUS = 0x08;
export const TOY_REG_SRC = 0x0c;
export const TOY_REG_DST = 0x10;
export const TOY_REG_LEN = 0x14;
export const TOY_BAR_SIZE = 0x100;

export const TOY_CTRL_START = 0x1;
export const TOY_CTRL_IRQ_EN = 0x2;
export const TOY_STATUS_DONE = 0x1;
export const TOY_STATUS_ERROR = 0x2;
export const TOY_STATUS_BUSY = 0x4;

/** Largest transfer the engine takes in one go. */
export const TOY_MAX_LEN = 64 * 1024;
