/**
 * Bringing a Hifn chip up and back, after hifn7751.c: hifn_reset_board, hifn_reset_puc and its
 * wait, the "secret handshake" that unlocks crypto (hifn_enable_crypto), hifn_init_dma,
 * hifn_init_pci_registers (ring bases, DMA_CSR, interrupt enables, the 795x PLL, polling) and
 * hifn_init_pubrng. Every access is through bus_space; every wait is DELAY(9), which charges the
 * calling thread and lets the card run meanwhile.
 *
 * Deliberate differences: the context-RAM type and size are not probed with read/write-RAM
 * commands (hifn_ramtype, hifn_sramsize): FreeBSD never uses that RAM, so every part is treated
 * as a DRAM model sized from PUCNFG, and the 7811's CRAM wait is left out (no 7811 model). The RNG
 * is enabled but not harvested (its 10 ms callout would keep an idle machine busy for ever).
 */
import { BUS_DMASYNC_PREREAD, BUS_DMASYNC_PREWRITE } from '../../sim/busdma.js';
import { device_printf } from '../../sim/newbus.js';
import { pci_get_device, pci_get_vendor, pci_write_config } from '../../sim/pci.js';
import {
  HIFN_0_PUCNFG,
  HIFN_0_PUCTRL,
  HIFN_0_PUCTRL2,
  HIFN_0_FIFOCNFG,
  HIFN_0_PUIER,
  HIFN_0_PUISR,
  HIFN_0_PUSTAT,
  HIFN_1_DMA_CNFG,
  HIFN_1_DMA_CNFG2,
  HIFN_1_DMA_CRAR,
  HIFN_1_DMA_CSR,
  HIFN_1_DMA_DRAR,
  HIFN_1_DMA_IER,
  HIFN_1_DMA_RRAR,
  HIFN_1_DMA_SRAR,
  HIFN_1_PLL,
  HIFN_1_PUB_IEN,
  HIFN_1_PUB_MODE,
  HIFN_1_PUB_RESET,
  HIFN_1_RNG_CONFIG,
  HIFN_D_CMD_RSIZE,
  HIFN_D_DST_RSIZE,
  HIFN_D_RES_RSIZE,
  HIFN_D_SRC_RSIZE,
  HIFN_DMACNFG2_INIT_READ_BURST_SHIFT,
  HIFN_DMACNFG2_INIT_WRITE_BURST_SHIFT,
  HIFN_DMACNFG2_TGT_READ_BURST_SHIFT,
  HIFN_DMACNFG2_TGT_WRITE_BURST_SHIFT,
  HIFN_DMACNFG_DMARESET,
  HIFN_DMACNFG_LAST,
  HIFN_DMACNFG_MODE,
  HIFN_DMACNFG_MSTRESET,
  HIFN_DMACNFG_POLLFREQ,
  HIFN_DMACNFG_POLLINVAL,
  HIFN_DMACNFG_UNLOCK,
  HIFN_DMACSR_C_CTRL_DIS,
  HIFN_DMACSR_D_CTRL_DIS,
  HIFN_DMACSR_PUBDONE,
  HIFN_DMACSR_R_CTRL_DIS,
  HIFN_DMACSR_STATUS_ALL,
  HIFN_DMACSR_S_CTRL_DIS,
  HIFN_DMAIER_C_ABORT,
  HIFN_DMAIER_C_WAIT,
  HIFN_DMAIER_D_ABORT,
  HIFN_DMAIER_D_OVER,
  HIFN_DMAIER_PUBDONE,
  HIFN_DMAIER_R_ABORT,
  HIFN_DMAIER_R_DONE,
  HIFN_DMAIER_R_OVER,
  HIFN_DMAIER_S_ABORT,
  HIFN_FIFOCNFG_THRESHOLD,
  HIFN_PKMODE_ENHANCED,
  HIFN_PLL_BP,
  HIFN_PLL_CONFIG,
  HIFN_PLL_IS,
  HIFN_PLL_MBSET,
  HIFN_PLL_ND_SHIFT,
  HIFN_PLL_PE_CLK_SEL,
  HIFN_PLL_PK_CLK_SEL,
  HIFN_PLL_REF_SEL,
  HIFN_POLL_FREQUENCY,
  HIFN_POLL_SCALAR,
  HIFN_PUBIEN_DONE,
  HIFN_PUBRST_RESET,
  HIFN_PUCNFG_BUS32,
  HIFN_PUCNFG_CHIPID,
  HIFN_PUCNFG_COMPSING,
  HIFN_PUCNFG_DRAM,
  HIFN_PUCNFG_DRAMMASK,
  HIFN_PUCNFG_DRFR_128,
  HIFN_PUCNFG_ENCCNFG,
  HIFN_PUCNFG_TCALLPHASES,
  HIFN_PUCNFG_TCDRVTOTEM,
  HIFN_PUCTRL_DMAENA,
  HIFN_PUCTRL_RESET,
  HIFN_PUIER_DSTOVER,
  HIFN_PUISR_DSTOVER,
  HIFN_PUSTAT_CHIPENA,
  HIFN_PUSTAT_ENA_0,
  HIFN_PUSTAT_ENA_1,
  HIFN_PUSTAT_ENA_2,
  HIFN_RETRY_TIMEOUT,
  HIFN_RNGCFG_ENA,
  HIFN_TRDY_TIMEOUT,
  HIFN_UNLOCK_SECRET1,
  HIFN_UNLOCK_SECRET2,
  HIFN_UNLOCK_WORDS,
  PCI_PRODUCT_HIFN_7955,
  PCI_PRODUCT_HIFN_7956,
  PCI_PRODUCT_HIFN_7811,
  PCI_PRODUCT_HIFN_7951,
  PCI_VENDOR_HIFN,
  PCI_VENDOR_INVERTEX,
  PCI_VENDOR_NETSEC,
  hifnNextSignature,
} from './regs.js';
import {
  DMA_CMDR,
  DMA_DSTR,
  DMA_RESR,
  DMA_SRCR,
  HIFN_DMA_SIZE,
  HIFN_HAS_AES,
  HIFN_HAS_PUBLIC,
  HIFN_HAS_RNG,
  HIFN_IS_7811,
  HIFN_IS_7956,
  READ_REG_0,
  READ_REG_1,
  WRITE_REG_0,
  WRITE_REG_1,
  areaSync,
  cmdBufOff,
  descOff,
  dmaBytes,
  dmaWrite32,
  resBufOff,
  type HifnSoftc,
} from './driver-softc.js';

function DELAY(sc: HifnSoftc, us: number): void {
  sc.dev.tree.scheduler.DELAY(us);
}

/** The PU control register: PUCTRL2 on the 7955/7956. */
const pucReg = (sc: HifnSoftc): number => (sc.sc_flags & HIFN_IS_7956 ? HIFN_0_PUCTRL2 : HIFN_0_PUCTRL);

/**
 * hifn_getpllconfig with the default "ext66" (Hifn: almost every board has a 66 MHz crystal):
 * target 266 MHz, even multiplier clamped to 2..12, so 4 x 66 = 264 MHz.
 */
export function hifn_getpllconfig(refMhz = 66): number {
  const mul = Math.min(12, Math.max(2, Math.floor(266 / refMhz) & ~1));
  let pll = HIFN_PLL_REF_SEL | ((mul / 2 - 1) << HIFN_PLL_ND_SHIFT);
  if (mul > 8) pll |= HIFN_PLL_IS;
  return pll;
}

/** hifn_set_retry: TRDY and retry timeouts to 0, 8-bit accesses only (the 7811 locks up otherwise). */
export function hifn_set_retry(sc: HifnSoftc): void {
  pci_write_config(sc.dev, HIFN_RETRY_TIMEOUT, 0, 1);
  pci_write_config(sc.dev, HIFN_TRDY_TIMEOUT, 0, 1);
}

/** hifn_puc_wait: up to 5000 x 1 us for the PU reset bit to clear. */
export function hifn_puc_wait(sc: HifnSoftc): boolean {
  for (let i = 5000; i > 0; i--) {
    DELAY(sc, 1);
    if (!(READ_REG_0(sc, pucReg(sc)) & HIFN_PUCTRL_RESET)) return true;
  }
  device_printf(sc.dev, 'proc unit did not reset');
  return false;
}

/** hifn_reset_puc. */
export function hifn_reset_puc(sc: HifnSoftc): void {
  WRITE_REG_0(sc, pucReg(sc), HIFN_PUCTRL_DMAENA);
  hifn_puc_wait(sc);
}

/** hifn_reset_board: polling off, reset the DMA unit (and the PU, or everything if `full`), clear the rings. */
export function hifn_reset_board(sc: HifnSoftc, full: boolean): void {
  WRITE_REG_1(sc, HIFN_1_DMA_CNFG, HIFN_DMACNFG_MSTRESET | HIFN_DMACNFG_DMARESET | HIFN_DMACNFG_MODE);
  DELAY(sc, 1000); // "Now that polling has been disabled, we have to wait 1 ms before resetting the board."
  if (full) {
    WRITE_REG_1(sc, HIFN_1_DMA_CNFG, HIFN_DMACNFG_MODE);
    DELAY(sc, 1000);
  } else {
    WRITE_REG_1(sc, HIFN_1_DMA_CNFG, HIFN_DMACNFG_MODE | HIFN_DMACNFG_MSTRESET);
    hifn_reset_puc(sc);
  }
  dmaBytes(sc, 0, HIFN_DMA_SIZE, 'write').fill(0);
  WRITE_REG_1(sc, HIFN_1_DMA_CNFG, HIFN_DMACNFG_MSTRESET | HIFN_DMACNFG_DMARESET | HIFN_DMACNFG_MODE);
  hifn_puc_wait(sc);
  hifn_set_retry(sc);
  WRITE_REG_1(sc, HIFN_1_DMA_CNFG2,
    (3 << HIFN_DMACNFG2_INIT_WRITE_BURST_SHIFT) | (3 << HIFN_DMACNFG2_INIT_READ_BURST_SHIFT) |
    (2 << HIFN_DMACNFG2_TGT_WRITE_BURST_SHIFT) | (2 << HIFN_DMACNFG2_TGT_READ_BURST_SHIFT));
}

/** pci2id: every known vendor uses an all-zero 13-byte card id. */
const CARD_ID = new Uint8Array(HIFN_UNLOCK_WORDS);

/**
 * hifn_enable_crypto: read the enable level; if the chip is locked, run the unlock handshake.
 * "Make sure we don't re-unlock. Two unlocks kills chip until the next reboot." Returns 0 or 1.
 */
export function hifn_enable_crypto(sc: HifnSoftc): number {
  const v = pci_get_vendor(sc.dev);
  if (v !== PCI_VENDOR_HIFN && v !== PCI_VENDOR_INVERTEX && v !== PCI_VENDOR_NETSEC) {
    device_printf(sc.dev, 'Unknown card!');
    return 1;
  }
  const ramcfg = READ_REG_0(sc, HIFN_0_PUCNFG);
  const dmacfg = READ_REG_1(sc, HIFN_1_DMA_CNFG);
  WRITE_REG_0(sc, HIFN_0_PUCNFG, ramcfg | HIFN_PUCNFG_CHIPID);
  let encl = READ_REG_0(sc, HIFN_0_PUSTAT) & HIFN_PUSTAT_CHIPENA;
  const already = encl === HIFN_PUSTAT_ENA_1 || encl === HIFN_PUSTAT_ENA_2;
  if (!already || sc.opts.forceUnlock) {
    if (!already && encl !== 0 && encl !== HIFN_PUSTAT_ENA_0) return 1; // unknown encryption level
    WRITE_REG_1(sc, HIFN_1_DMA_CNFG, HIFN_DMACNFG_UNLOCK | HIFN_DMACNFG_MSTRESET | HIFN_DMACNFG_DMARESET | HIFN_DMACNFG_MODE);
    DELAY(sc, 1000);
    let addr = READ_REG_1(sc, HIFN_UNLOCK_SECRET1);
    DELAY(sc, 1000);
    WRITE_REG_1(sc, HIFN_UNLOCK_SECRET2, 0);
    DELAY(sc, 1000);
    for (let i = 0; i < HIFN_UNLOCK_WORDS; i++) {
      addr = hifnNextSignature(addr, CARD_ID[i]! + 0x101);
      WRITE_REG_1(sc, HIFN_UNLOCK_SECRET2, addr);
      DELAY(sc, 1000);
    }
    WRITE_REG_0(sc, HIFN_0_PUCNFG, ramcfg | HIFN_PUCNFG_CHIPID);
    encl = READ_REG_0(sc, HIFN_0_PUSTAT) & HIFN_PUSTAT_CHIPENA;
    if (encl !== HIFN_PUSTAT_ENA_1 && encl !== HIFN_PUSTAT_ENA_2) device_printf(sc.dev, 'Engine is permanently locked until next system reset!');
  }
  WRITE_REG_0(sc, HIFN_0_PUCNFG, ramcfg);
  WRITE_REG_1(sc, HIFN_1_DMA_CNFG, dmacfg);
  if (encl !== HIFN_PUSTAT_ENA_1 && encl !== HIFN_PUSTAT_ENA_2) device_printf(sc.dev, 'disabled');
  return 0;
}

/** hifn_init_dma: fixed `p` of the command and result descriptors, the jump slots, empty rings. */
export function hifn_init_dma(sc: HifnSoftc): void {
  hifn_set_retry(sc);
  const base = sc.sc_dma_physaddr;
  for (let i = 0; i < HIFN_D_CMD_RSIZE; i++) dmaWrite32(sc, descOff(DMA_CMDR, i) + 4, base + cmdBufOff(i));
  for (let i = 0; i < HIFN_D_RES_RSIZE; i++) dmaWrite32(sc, descOff(DMA_RESR, i) + 4, base + resBufOff(i));
  dmaWrite32(sc, descOff(DMA_CMDR, HIFN_D_CMD_RSIZE) + 4, base + DMA_CMDR);
  dmaWrite32(sc, descOff(DMA_SRCR, HIFN_D_SRC_RSIZE) + 4, base + DMA_SRCR);
  dmaWrite32(sc, descOff(DMA_DSTR, HIFN_D_DST_RSIZE) + 4, base + DMA_DSTR);
  dmaWrite32(sc, descOff(DMA_RESR, HIFN_D_RES_RSIZE) + 4, base + DMA_RESR);
  areaSync(sc, BUS_DMASYNC_PREREAD | BUS_DMASYNC_PREWRITE);
  sc.sc_cmdu = sc.sc_srcu = sc.sc_dstu = sc.sc_resu = 0;
  sc.sc_cmdi = sc.sc_srci = sc.sc_dsti = sc.sc_resi = 0;
  sc.sc_cmdk = sc.sc_srck = sc.sc_dstk = sc.sc_resk = 0;
}

/** hifn_init_pci_registers. */
export function hifn_init_pci_registers(sc: HifnSoftc): void {
  WRITE_REG_0(sc, HIFN_0_PUCTRL, HIFN_PUCTRL_DMAENA);
  WRITE_REG_0(sc, HIFN_0_FIFOCNFG, HIFN_FIFOCNFG_THRESHOLD);
  WRITE_REG_0(sc, HIFN_0_PUIER, HIFN_PUIER_DSTOVER);
  const base = sc.sc_dma_physaddr;
  WRITE_REG_1(sc, HIFN_1_DMA_CRAR, base + DMA_CMDR);
  WRITE_REG_1(sc, HIFN_1_DMA_SRAR, base + DMA_SRCR);
  WRITE_REG_1(sc, HIFN_1_DMA_DRAR, base + DMA_DSTR);
  WRITE_REG_1(sc, HIFN_1_DMA_RRAR, base + DMA_RESR);
  DELAY(sc, 2000);
  // Disable every ring and clear every status bit.
  WRITE_REG_1(sc, HIFN_1_DMA_CSR, HIFN_DMACSR_D_CTRL_DIS | HIFN_DMACSR_R_CTRL_DIS | HIFN_DMACSR_S_CTRL_DIS | HIFN_DMACSR_C_CTRL_DIS |
    (HIFN_DMACSR_STATUS_ALL & ~(sc.sc_flags & HIFN_HAS_PUBLIC ? 0 : HIFN_DMACSR_PUBDONE)));
  sc.sc_c_busy = sc.sc_s_busy = sc.sc_r_busy = sc.sc_d_busy = false;
  sc.sc_dmaier |= HIFN_DMAIER_R_DONE | HIFN_DMAIER_C_ABORT | HIFN_DMAIER_D_OVER | HIFN_DMAIER_R_OVER |
    HIFN_DMAIER_S_ABORT | HIFN_DMAIER_D_ABORT | HIFN_DMAIER_R_ABORT;
  sc.sc_dmaier &= ~HIFN_DMAIER_C_WAIT;
  WRITE_REG_1(sc, HIFN_1_DMA_IER, sc.sc_dmaier);
  if (sc.sc_flags & HIFN_IS_7956) {
    WRITE_REG_0(sc, HIFN_0_PUCNFG, HIFN_PUCNFG_COMPSING | HIFN_PUCNFG_TCALLPHASES | HIFN_PUCNFG_TCDRVTOTEM | HIFN_PUCNFG_BUS32);
    // Turn off the clocks and make sure bypass is set, configure, then clear bypass and select the PLL clocks.
    let pll = READ_REG_1(sc, HIFN_1_PLL);
    pll = (pll & ~(HIFN_PLL_PK_CLK_SEL | HIFN_PLL_PE_CLK_SEL)) | HIFN_PLL_BP | HIFN_PLL_MBSET;
    WRITE_REG_1(sc, HIFN_1_PLL, pll);
    DELAY(sc, 10 * 1000);
    pll = (pll & ~HIFN_PLL_CONFIG) | sc.sc_pllconfig;
    WRITE_REG_1(sc, HIFN_1_PLL, pll);
    DELAY(sc, 10 * 1000);
    pll &= ~HIFN_PLL_BP;
    WRITE_REG_1(sc, HIFN_1_PLL, pll);
    pll |= HIFN_PLL_PK_CLK_SEL | HIFN_PLL_PE_CLK_SEL;
    WRITE_REG_1(sc, HIFN_1_PLL, pll);
  } else {
    WRITE_REG_0(sc, HIFN_0_PUCNFG, HIFN_PUCNFG_COMPSING | HIFN_PUCNFG_DRFR_128 | HIFN_PUCNFG_TCALLPHASES |
      HIFN_PUCNFG_TCDRVTOTEM | HIFN_PUCNFG_BUS32 | (sc.sc_drammodel ? HIFN_PUCNFG_DRAM : 0));
  }
  WRITE_REG_0(sc, HIFN_0_PUISR, HIFN_PUISR_DSTOVER);
  WRITE_REG_1(sc, HIFN_1_DMA_CNFG, HIFN_DMACNFG_MSTRESET | HIFN_DMACNFG_DMARESET | HIFN_DMACNFG_MODE | HIFN_DMACNFG_LAST |
    ((HIFN_POLL_FREQUENCY << 16) & HIFN_DMACNFG_POLLFREQ) | ((HIFN_POLL_SCALAR << 8) & HIFN_DMACNFG_POLLINVAL));
}

/** hifn_sessions + hifn_dramsize: how many sessions the context RAM could hold (reported, not enforced). */
export function hifn_sessions(sc: HifnSoftc): void {
  const pucnfg = READ_REG_0(sc, HIFN_0_PUCNFG);
  sc.sc_ramsize = sc.sc_flags & HIFN_IS_7956 ? 32768 : 1 << (((pucnfg & HIFN_PUCNFG_DRAMMASK) >>> 13) + 18);
  if (pucnfg & HIFN_PUCNFG_COMPSING) {
    const ctxsize = pucnfg & HIFN_PUCNFG_ENCCNFG ? 128 : 512;
    sc.sc_maxses = sc.sc_flags & HIFN_IS_7956 ? 32768 / ctxsize : 1 + Math.floor((sc.sc_ramsize - 32768) / ctxsize);
  } else {
    sc.sc_maxses = Math.floor(sc.sc_ramsize / 16384);
  }
  sc.sc_maxses = Math.min(sc.sc_maxses, 2048);
}

/** hifn_init_pubrng: reset the PK/RNG unit, enable the RNG, the PK done interrupt and enhanced mode. */
export function hifn_init_pubrng(sc: HifnSoftc): number {
  WRITE_REG_1(sc, HIFN_1_PUB_RESET, READ_REG_1(sc, HIFN_1_PUB_RESET) | HIFN_PUBRST_RESET);
  let i = 0;
  for (; i < 100; i++) {
    DELAY(sc, 1000);
    if (!(READ_REG_1(sc, HIFN_1_PUB_RESET) & HIFN_PUBRST_RESET)) break;
  }
  if (i === 100) {
    device_printf(sc.dev, 'public key init failed');
    return 1;
  }
  if (sc.sc_flags & HIFN_HAS_RNG) WRITE_REG_1(sc, HIFN_1_RNG_CONFIG, READ_REG_1(sc, HIFN_1_RNG_CONFIG) | HIFN_RNGCFG_ENA);
  if (sc.sc_flags & HIFN_HAS_PUBLIC) {
    WRITE_REG_1(sc, HIFN_1_PUB_IEN, HIFN_PUBIEN_DONE);
    // OCF-Linux's enhanced mode: operations go through the OPLEN/OP FIFO at 0x380.
    WRITE_REG_1(sc, HIFN_1_PUB_MODE, HIFN_PKMODE_ENHANCED);
    sc.sc_dmaier |= HIFN_DMAIER_PUBDONE;
    WRITE_REG_1(sc, HIFN_1_DMA_IER, sc.sc_dmaier);
  }
  return 0;
}

/** sc_flags from the PCI id, as hifn_attach sets them. */
export function hifn_flags(sc: HifnSoftc): number {
  const dev = sc.dev;
  if (pci_get_vendor(dev) !== PCI_VENDOR_HIFN) return 0;
  const d = pci_get_device(dev);
  let f = 0;
  if (d === PCI_PRODUCT_HIFN_7951 || d === PCI_PRODUCT_HIFN_7955 || d === PCI_PRODUCT_HIFN_7956) f |= HIFN_HAS_RNG | HIFN_HAS_PUBLIC;
  if (d === PCI_PRODUCT_HIFN_7811) f |= HIFN_IS_7811 | HIFN_HAS_RNG;
  if (d === PCI_PRODUCT_HIFN_7955 || d === PCI_PRODUCT_HIFN_7956) f |= HIFN_IS_7956 | HIFN_HAS_AES;
  return f;
}

/** Stop the card for detach: interrupts off, rings disabled, the DMA unit held in reset. */
export function hifn_stop(sc: HifnSoftc): void {
  WRITE_REG_1(sc, HIFN_1_DMA_IER, 0);
  WRITE_REG_1(sc, HIFN_1_DMA_CSR, HIFN_DMACSR_C_CTRL_DIS | HIFN_DMACSR_S_CTRL_DIS | HIFN_DMACSR_R_CTRL_DIS | HIFN_DMACSR_D_CTRL_DIS);
  // FreeBSD only turns polling off (MSTRESET|DMARESET|MODE); holding DMARESET low also stops a
  // transfer sequence the chip is in the middle of, so nothing lands after the maps are unloaded.
  WRITE_REG_1(sc, HIFN_1_DMA_CNFG, HIFN_DMACNFG_MSTRESET | HIFN_DMACNFG_MODE);
}

