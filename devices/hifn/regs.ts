/**
 * The Hifn 7751 / 7951 / 7955 / 7956 "datasheet", shared by the model (the silicon) and the driver
 * (the kernel side): PCI identity, the two register groups behind BAR0 and BAR1 with their bits,
 * the descriptor format and the ring sizes. Pure data; nothing here can reach a card.
 *
 * Source of every name and value, unless a line says otherwise: FreeBSD releng/9.3
 * sys/dev/hifn/hifn7751reg.h and hifn7751var.h (reference/hw.md §2.1-§2.4, §2.8-§2.11). Names are
 * the header's, so the driver reads like hifn7751.c. What the header leaves open (the meaning of
 * POLLFREQ in time, the PK operand offsets' units) is fixed by the model and said where defined.
 *
 * @example
 *   bus_space_write_4(sc.bar1, HIFN_1_DMA_CSR, HIFN_DMACSR_C_CTRL_ENA | HIFN_DMACSR_R_CTRL_ENA);
 *   HIFN_DESC.encode({ len: 36, valid: 1, last: 1, p: resbuf }, ring, 8 * i);
 */
import { DescriptorLayout } from '../kit/descriptor.js';

// ---- PCI identity (hw.md §2.1) -------------------------------------------------------------------

export const PCI_VENDOR_HIFN = 0x13a3;
export const PCI_PRODUCT_HIFN_7751 = 0x0005;
export const PCI_PRODUCT_HIFN_6500 = 0x0006;
export const PCI_PRODUCT_HIFN_7811 = 0x0007;
export const PCI_PRODUCT_HIFN_7951 = 0x0012;
/** 7954/7955. */
export const PCI_PRODUCT_HIFN_7955 = 0x0020;
export const PCI_PRODUCT_HIFN_7956 = 0x001d;
export const PCI_VENDOR_INVERTEX = 0x14e1;
export const PCI_PRODUCT_INVERTEX_AEON = 0x0005;
export const PCI_VENDOR_NETSEC = 0x1660;
export const PCI_PRODUCT_NETSEC_7751 = 0x7751;

/** Config-space bytes the driver zeroes with 8-bit writes (the 7811 locks up when made to retry). */
export const HIFN_TRDY_TIMEOUT = 0x40;
export const HIFN_RETRY_TIMEOUT = 0x41;

/** BAR sizes: the Linux 795x driver maps BAR0 0x1000 and BAR1 0x2000 (hw.md §2.2); BAR2 (SDRAM) is not modelled. */
export const HIFN_BAR0_SIZE = 0x1000;
export const HIFN_BAR1_SIZE = 0x2000;

// ---- BAR0: processing unit (PU) registers ------------------------------------------------------

export const HIFN_0_PUDATA = 0x00;
export const HIFN_0_PUCTRL = 0x04;
export const HIFN_0_PUISR = 0x08;
export const HIFN_0_PUCNFG = 0x0c;
export const HIFN_0_PUIER = 0x10;
export const HIFN_0_PUSTAT = 0x14;
export const HIFN_0_FIFOSTAT = 0x18;
export const HIFN_0_FIFOCNFG = 0x1c;
/** PU control on the 7955/7956 (the driver resets the PU here instead of PUCTRL). */
export const HIFN_0_PUCTRL2 = 0x28;

export const HIFN_PUCTRL_CLRSRCFIFO = 0x0010;
export const HIFN_PUCTRL_STOP = 0x0008;
export const HIFN_PUCTRL_LOCKRAM = 0x0004;
export const HIFN_PUCTRL_DMAENA = 0x0002;
/** Self-clearing: the driver polls it for up to 5000 x 1 us. */
export const HIFN_PUCTRL_RESET = 0x0001;

export const HIFN_PUISR_CMDINVAL = 0x8000;
export const HIFN_PUISR_DATAERR = 0x4000;
export const HIFN_PUISR_SRCFIFO = 0x2000;
export const HIFN_PUISR_DSTFIFO = 0x1000;
export const HIFN_PUISR_DSTOVER = 0x0200;
export const HIFN_PUISR_SRCCMD = 0x0080;
export const HIFN_PUISR_SRCCTX = 0x0040;
export const HIFN_PUISR_SRCDATA = 0x0020;
export const HIFN_PUISR_DSTDATA = 0x0010;
export const HIFN_PUISR_DSTRESULT = 0x0004;
export const HIFN_PUIER_DSTOVER = HIFN_PUISR_DSTOVER;

export const HIFN_PUCNFG_DRAMMASK = 0xe000;
export const HIFN_PUCNFG_DSZ_512K = 0x2000;
export const HIFN_PUCNFG_DSZ_2M = 0x6000;
export const HIFN_PUCNFG_DRFR_128 = 0x1000;
export const HIFN_PUCNFG_TCALLPHASES = 0x0200;
export const HIFN_PUCNFG_TCDRVTOTEM = 0x0100;
export const HIFN_PUCNFG_BIGENDIAN = 0x0080;
export const HIFN_PUCNFG_BUS32 = 0x0040;
/** Set before every read of the enable level in PUSTAT. */
export const HIFN_PUCNFG_CHIPID = 0x0020;
export const HIFN_PUCNFG_DRAM = 0x0010;
export const HIFN_PUCNFG_SRAM = 0x0000;
export const HIFN_PUCNFG_COMPSING = 0x0004;
export const HIFN_PUCNFG_ENCCNFG = 0x0002;

export const HIFN_PUSTAT_CHIPREV = 0x00ff;
export const HIFN_PUSTAT_CHIPENA = 0xff00;
/** Strong crypto (3DES, ARC4, AES) and everything of level 1. */
export const HIFN_PUSTAT_ENA_2 = 0x1100;
/** DES, MD5, SHA1 and their HMACs. */
export const HIFN_PUSTAT_ENA_1 = 0x1000;
/** Locked: compression only. */
export const HIFN_PUSTAT_ENA_0 = 0x3000;

export const HIFN_FIFOSTAT_SRC = 0x7f00;
export const HIFN_FIFOSTAT_DST = 0x007f;
export const HIFN_FIFOCNFG_THRESHOLD = 0x0400;

// ---- BAR1: DMA, rings, PLL, unlock, public key ---------------------------------------------------

export const HIFN_1_DMA_CRAR = 0x0c;
export const HIFN_1_DMA_SRAR = 0x1c;
export const HIFN_1_DMA_RRAR = 0x2c;
export const HIFN_1_DMA_DRAR = 0x3c;
export const HIFN_1_DMA_CSR = 0x40;
export const HIFN_1_DMA_IER = 0x44;
export const HIFN_1_DMA_CNFG = 0x48;
/** 7955/7956 only. */
export const HIFN_1_PLL = 0x4c;
/** 7955/7956 only (the 7811's RNGSTS lives at the same offset). */
export const HIFN_1_DMA_CNFG2 = 0x6c;
export const HIFN_1_REVID = 0x98;
export const HIFN_UNLOCK_SECRET1 = 0xf4;
export const HIFN_UNLOCK_SECRET2 = 0xfc;
export const HIFN_1_PUB_RESET = 0x204;
export const HIFN_1_PUB_BASE = 0x300;
export const HIFN_1_PUB_OPLEN = 0x304;
export const HIFN_1_PUB_OP = 0x308;
export const HIFN_1_PUB_STATUS = 0x30c;
export const HIFN_1_PUB_IEN = 0x310;
export const HIFN_1_RNG_CONFIG = 0x314;
export const HIFN_1_RNG_DATA = 0x318;
export const HIFN_1_PUB_MODE = 0x320;
export const HIFN_1_PUB_FIFO_OPLEN = 0x380;
export const HIFN_1_PUB_FIFO_OP = 0x384;
export const HIFN_1_PUB_MEM = 0x400;
export const HIFN_1_PUB_MEMEND = 0xbff;
export const HIFN_PUB_MEM_SIZE = HIFN_1_PUB_MEMEND + 1 - HIFN_1_PUB_MEM;

// DMA_CSR: one 8-bit group per ring (destination, result, source, command from the top). In each
// group a 2-bit control field (01 disable, 10 enable, 00 no change) and write-1-to-clear status.
export const HIFN_DMACSR_D_CTRLMASK = 0xc0000000;
export const HIFN_DMACSR_D_CTRL_DIS = 0x40000000;
export const HIFN_DMACSR_D_CTRL_ENA = 0x80000000;
export const HIFN_DMACSR_D_ABORT = 0x20000000;
export const HIFN_DMACSR_D_DONE = 0x10000000;
export const HIFN_DMACSR_D_LAST = 0x08000000;
export const HIFN_DMACSR_D_WAIT = 0x04000000;
export const HIFN_DMACSR_D_OVER = 0x02000000;
export const HIFN_DMACSR_R_CTRL = 0x00c00000;
export const HIFN_DMACSR_R_CTRL_DIS = 0x00400000;
export const HIFN_DMACSR_R_CTRL_ENA = 0x00800000;
export const HIFN_DMACSR_R_ABORT = 0x00200000;
export const HIFN_DMACSR_R_DONE = 0x00100000;
export const HIFN_DMACSR_R_LAST = 0x00080000;
export const HIFN_DMACSR_R_WAIT = 0x00040000;
export const HIFN_DMACSR_R_OVER = 0x00020000;
export const HIFN_DMACSR_S_CTRL = 0x0000c000;
export const HIFN_DMACSR_S_CTRL_DIS = 0x00004000;
export const HIFN_DMACSR_S_CTRL_ENA = 0x00008000;
export const HIFN_DMACSR_S_ABORT = 0x00002000;
export const HIFN_DMACSR_S_DONE = 0x00001000;
export const HIFN_DMACSR_S_LAST = 0x00000800;
export const HIFN_DMACSR_S_WAIT = 0x00000400;
export const HIFN_DMACSR_C_CTRL = 0x000000c0;
export const HIFN_DMACSR_C_CTRL_DIS = 0x00000040;
export const HIFN_DMACSR_C_CTRL_ENA = 0x00000080;
export const HIFN_DMACSR_C_ABORT = 0x00000020;
export const HIFN_DMACSR_C_DONE = 0x00000010;
export const HIFN_DMACSR_C_LAST = 0x00000008;
export const HIFN_DMACSR_C_WAIT = 0x00000004;
/** Public-key operation done (7951 and 795x). */
export const HIFN_DMACSR_PUBDONE = 0x00000002;
export const HIFN_DMACSR_ENGINE = 0x00000001;
/** Every control field of DMA_CSR. */
export const HIFN_DMACSR_CTRL_ALL = 0xc0c0c0c0;
/** Every write-1-to-clear status bit of DMA_CSR (the 7811's ILLR/ILLW not modelled). */
export const HIFN_DMACSR_STATUS_ALL = 0x3e3e3c3f;

// DMA_IER: same positions as the CSR status bits.
export const HIFN_DMAIER_D_ABORT = HIFN_DMACSR_D_ABORT;
export const HIFN_DMAIER_D_DONE = HIFN_DMACSR_D_DONE;
export const HIFN_DMAIER_D_OVER = HIFN_DMACSR_D_OVER;
export const HIFN_DMAIER_R_ABORT = HIFN_DMACSR_R_ABORT;
export const HIFN_DMAIER_R_DONE = HIFN_DMACSR_R_DONE;
export const HIFN_DMAIER_R_OVER = HIFN_DMACSR_R_OVER;
export const HIFN_DMAIER_S_ABORT = HIFN_DMACSR_S_ABORT;
export const HIFN_DMAIER_S_DONE = HIFN_DMACSR_S_DONE;
export const HIFN_DMAIER_C_ABORT = HIFN_DMACSR_C_ABORT;
export const HIFN_DMAIER_C_DONE = HIFN_DMACSR_C_DONE;
export const HIFN_DMAIER_C_WAIT = HIFN_DMACSR_C_WAIT;
export const HIFN_DMAIER_PUBDONE = HIFN_DMACSR_PUBDONE;
export const HIFN_DMAIER_ENGINE = HIFN_DMACSR_ENGINE;

export const HIFN_DMACNFG_BIGENDIAN = 0x10000000;
/**
 * Poll frequency. The header gives no unit; the model polls a waiting ring every
 * POLLFREQ x 256 PCI clocks (timing.ts `pollUnitPciClocks`).
 */
export const HIFN_DMACNFG_POLLFREQ = 0x00ff0000;
export const HIFN_DMACNFG_UNLOCK = 0x00000800;
export const HIFN_DMACNFG_POLLINVAL = 0x00000700;
export const HIFN_DMACNFG_LAST = 0x00000010;
export const HIFN_DMACNFG_MODE = 0x00000004;
/** Active low: 0 holds the DMA unit in reset. */
export const HIFN_DMACNFG_DMARESET = 0x00000002;
/** Active low: 0 holds the whole chip in reset. */
export const HIFN_DMACNFG_MSTRESET = 0x00000001;
/** hifn7751reg.h defaults for the two poll fields. */
export const HIFN_POLL_FREQUENCY = 0x1;
export const HIFN_POLL_SCALAR = 0x0;

export const HIFN_DMACNFG2_INIT_WRITE_BURST_SHIFT = 12;
export const HIFN_DMACNFG2_INIT_READ_BURST_SHIFT = 8;
export const HIFN_DMACNFG2_TGT_WRITE_BURST_SHIFT = 4;
export const HIFN_DMACNFG2_TGT_READ_BURST_SHIFT = 0;

export const HIFN_PLL_REF_SEL = 0x00000001;
export const HIFN_PLL_BP = 0x00000002;
export const HIFN_PLL_PK_CLK_SEL = 0x00000008;
export const HIFN_PLL_PE_CLK_SEL = 0x00000010;
export const HIFN_PLL_MBSET = 0x00000400;
export const HIFN_PLL_ND = 0x00003800;
export const HIFN_PLL_ND_SHIFT = 11;
export const HIFN_PLL_IS = 0x00010000;
export const HIFN_PLL_CONFIG = HIFN_PLL_IS | HIFN_PLL_ND | HIFN_PLL_REF_SEL;

// ---- public-key unit (hw.md §2.11) -------------------------------------------------------------

export const HIFN_PUBRST_RESET = 0x00000001;
/**
 * PUB_OP offsets. The masks are the header's; the model reads each offset field as a byte offset in
 * PUB_MEM divided by 32 (so A, whose field has no bit 0, sits on a 64-byte boundary).
 */
export const HIFN_PUBOP_AOFFSET = 0x0000003e;
export const HIFN_PUBOP_BOFFSET = 0x00000fc0;
export const HIFN_PUBOP_MOFFSET = 0x0003f000;
export const HIFN_PUBOP_OP_MASK = 0x003c0000;
export const HIFN_PUBOP_OP_NOP = 0x00000000;
export const HIFN_PUBOP_OP_MODEXP = 0x00300000;
/** Modulus length in 32-bit words. */
export const HIFN_PUBOPLEN_MODLEN = 0x0000007f;
/** Exponent length in bits, minus one. */
export const HIFN_PUBOPLEN_EXPLEN = 0x0003ff80;
export const HIFN_PUBOPLEN_REDLEN = 0x003c0000;
export const HIFN_PUBSTS_DONE = 0x00000001;
export const HIFN_PUBSTS_CARRY = 0x00000002;
export const HIFN_PUBSTS_FIFO_EMPTY = 0x00000100;
export const HIFN_PUBIEN_DONE = 0x00000001;
export const HIFN_RNGCFG_ENA = 0x00000001;
export const HIFN_PKMODE_HOSTINVERT = 0x1;
export const HIFN_PKMODE_ENHANCED = 0x2;

// ---- descriptors and rings (hw.md §2.4) --------------------------------------------------------

export const HIFN_D_LENGTH = 0x0000ffff;
export const HIFN_D_MASKDONEIRQ = 0x02000000;
export const HIFN_D_DESTOVER = 0x04000000;
export const HIFN_D_OVER = 0x08000000;
export const HIFN_D_LAST = 0x20000000;
export const HIFN_D_JUMP = 0x40000000;
export const HIFN_D_VALID = 0x80000000;

/** hifn_desc_t: `l` (length and flags) then `p` (physical address), little-endian. */
export const HIFN_DESC = new DescriptorLayout('hifn_desc', 8, {
  len: { offset: 0, mask: HIFN_D_LENGTH, doc: 'byte count' },
  maskDoneIrq: { offset: 0, mask: HIFN_D_MASKDONEIRQ, doc: 'no DONE interrupt for this descriptor' },
  destOver: { offset: 0, mask: HIFN_D_DESTOVER },
  over: { offset: 0, mask: HIFN_D_OVER },
  last: { offset: 0, mask: HIFN_D_LAST, doc: 'last fragment of a buffer' },
  jump: { offset: 0, mask: HIFN_D_JUMP, doc: '`p` is the next descriptor' },
  valid: { offset: 0, mask: HIFN_D_VALID, doc: 'owned by the chip' },
  p: { offset: 4, doc: 'physical address' },
});
export type HifnDescField = (typeof HIFN_DESC.fieldNames)[number];
export const HIFN_DESC_SIZE = 8;

/** hifn7751var.h: src/dst are 3.5 x the command ring; each ring has one more slot for the jump. */
export const HIFN_D_CMD_RSIZE = 24;
export const HIFN_D_SRC_RSIZE = (HIFN_D_CMD_RSIZE * 7) / 2;
export const HIFN_D_RES_RSIZE = HIFN_D_CMD_RSIZE;
export const HIFN_D_DST_RSIZE = HIFN_D_SRC_RSIZE;

export const MAX_SCATTER = 64;
export const HIFN_MAX_SEGLEN = 0xffff;
export const HIFN_MAX_DMALEN = 0x3ffff;

// ---- the unlock handshake (hw.md §2.8) ---------------------------------------------------------

/** Words written to SECRET2 after the initial 0: one per byte of the 13-byte card id. */
export const HIFN_UNLOCK_WORDS = 13;

/**
 * hifn_next_signature: advance the unlock LFSR `cnt` steps; each step shifts in the parity of
 * `a & 0x80080125`. The driver computes the words, the chip checks them.
 */
export function hifnNextSignature(a: number, cnt: number): number {
  let x = a >>> 0;
  for (let i = 0; i < cnt; i++) {
    let v = x & 0x80080125;
    v ^= v >>> 16;
    v ^= v >>> 8;
    v ^= v >>> 4;
    v ^= v >>> 2;
    v ^= v >>> 1;
    x = ((v & 1) ^ (x << 1)) >>> 0;
  }
  return x;
}
