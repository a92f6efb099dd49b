/**
 * The four Hifn parts the model builds: PCI identity, what each has on chip, and its board. The
 * driver does not use this file: it tells the parts apart by PCI id, as hifn_attach does.
 *
 * Sources: PCI ids and features from hifn7751reg.h / hifn_attach (hw.md §2.1: the 7951 and 795x
 * have the RNG and the public-key unit, the 795x AES and a 32 KB internal context RAM);
 * revisions and board RAM are the model's choice (the 7751 reference board has 512 KB SRAM per
 * hifn(4); modelled as a DRAM-style size in PUCNFG, see driver-init.ts).
 */
import { PCI_PRODUCT_HIFN_7751, PCI_PRODUCT_HIFN_7951, PCI_PRODUCT_HIFN_7955, PCI_PRODUCT_HIFN_7956, PCI_VENDOR_HIFN, HIFN_PUCNFG_DSZ_512K } from './regs.js';

export type HifnPartName = '7751' | '7951' | '7955' | '7956';

export interface HifnPartInfo {
  name: HifnPartName;
  vendorId: number;
  deviceId: number;
  /** PCI revision ID and the low byte of PUSTAT/REVID (the model's choice). */
  revision: number;
  hasAes: boolean;
  hasPublic: boolean;
  hasRng: boolean;
  /** 7955/7956: PU reset through PUCTRL2, PLL register, fixed 32 KB context RAM. */
  is795x: boolean;
  /** PUCNFG DRAM-size field the board straps (7751/7951). */
  pucnfgRamSize: number;
}

export const HIFN_PARTS: Readonly<Record<HifnPartName, HifnPartInfo>> = {
  '7751': { name: '7751', vendorId: PCI_VENDOR_HIFN, deviceId: PCI_PRODUCT_HIFN_7751, revision: 0x30, hasAes: false, hasPublic: false, hasRng: false, is795x: false, pucnfgRamSize: HIFN_PUCNFG_DSZ_512K },
  '7951': { name: '7951', vendorId: PCI_VENDOR_HIFN, deviceId: PCI_PRODUCT_HIFN_7951, revision: 0x01, hasAes: false, hasPublic: true, hasRng: true, is795x: false, pucnfgRamSize: HIFN_PUCNFG_DSZ_512K },
  '7955': { name: '7955', vendorId: PCI_VENDOR_HIFN, deviceId: PCI_PRODUCT_HIFN_7955, revision: 0x01, hasAes: true, hasPublic: true, hasRng: true, is795x: true, pucnfgRamSize: 0 },
  '7956': { name: '7956', vendorId: PCI_VENDOR_HIFN, deviceId: PCI_PRODUCT_HIFN_7956, revision: 0x01, hasAes: true, hasPublic: true, hasRng: true, is795x: true, pucnfgRamSize: 0 },
};
