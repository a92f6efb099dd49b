/**
 * hifn(4): the kernel driver for the Hifn 7751 / 7951 / 7955 / 7956 (and the ids FreeBSD probes),
 * after FreeBSD 9.3 sys/dev/hifn/hifn7751.c: probe, attach (BARs, reset, unlock, DMA area and rings
 * through bus_dma, interrupt, crypto_get_driverid(CRYPTOCAP_F_HARDWARE), crypto_register per the
 * chip's enable level, crypto_kregister(CRK_MOD_EXP) on parts with a public-key unit) and detach.
 *
 * It reaches its card only through bus_space, bus_dma and its interrupt. The request path is in
 * driver-process.ts, the completion path in driver-intr.ts, bring-up in driver-init.ts, the
 * public-key path in driver-pk.ts, shared state in driver-softc.ts.
 *
 * Detach keeps DESIGN.md's hot-eject contract (FreeBSD lost in-flight requests): it calls
 * crypto_unregister_all first, stops the card, then completes every request still on the card —
 * normally if the chip had finished it, with EAGAIN otherwise — so a consumer that resubmits loses
 * nothing. It works the same after a surprise removal, when the registers read all-ones.
 *
 * @example
 *   machine.bus.addDriver(hifnDriver({ crypto: machine.crypto }));
 *   machine.cardbus.insert(0, new HifnModel({ part: '7956' }));   // hifn0 attaches ~1 ms later
 */
import { CRK_MOD_EXP, CRYPTOCAP_F_HARDWARE, CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_ARC4, CRYPTO_DES_CBC, CRYPTO_MD5, CRYPTO_MD5_HMAC, CRYPTO_SHA1, CRYPTO_SHA1_HMAC, EAGAIN } from '../../framework/constants.js';
import type { CryptoDevice, cryptodev_methods } from '../../framework/drivers.js';
import { BUS_DMA_NOWAIT, BUS_DMASYNC_PREREAD, BUS_DMASYNC_PREWRITE, BUS_SPACE_MAXADDR, BUS_SPACE_MAXADDR_32BIT, bus_get_dma_tag } from '../../sim/busdma.js';
import { INTR_MPSAFE, INTR_TYPE_NET } from '../../sim/intr.js';
import { ENXIO } from '../../sim/errno.js';
import { Prng } from '../../sim/prng.js';
import {
  BUS_PROBE_DEFAULT,
  RF_ACTIVE,
  RF_SHAREABLE,
  SYS_RES_IRQ,
  SYS_RES_MEMORY,
  bus_alloc_resource_any,
  bus_release_resource,
  bus_setup_intr,
  bus_teardown_intr,
  device_get_softc,
  device_printf,
  device_set_desc,
  type Device,
  type driver_t,
} from '../../sim/newbus.js';
import { PCIR_BAR, pci_enable_busmaster, pci_get_device, pci_get_vendor } from '../../sim/pci.js';
import {
  HIFN_0_PUCNFG,
  HIFN_0_PUSTAT,
  HIFN_1_REVID,
  HIFN_MAX_DMALEN,
  HIFN_MAX_SEGLEN,
  HIFN_PLL_ND,
  HIFN_PLL_REF_SEL,
  HIFN_PUCNFG_CHIPID,
  HIFN_PUSTAT_CHIPENA,
  HIFN_PUSTAT_ENA_1,
  HIFN_PUSTAT_ENA_2,
  MAX_SCATTER,
  PCI_PRODUCT_HIFN_7751,
  PCI_PRODUCT_HIFN_7811,
  PCI_PRODUCT_HIFN_7951,
  PCI_PRODUCT_HIFN_7955,
  PCI_PRODUCT_HIFN_7956,
  PCI_PRODUCT_INVERTEX_AEON,
  PCI_PRODUCT_NETSEC_7751,
  PCI_VENDOR_HIFN,
  PCI_VENDOR_INVERTEX,
  PCI_VENDOR_NETSEC,
} from './regs.js';
import {
  HIFN_DMA_SIZE,
  HIFN_HAS_AES,
  HIFN_HAS_PUBLIC,
  HIFN_HAS_RNG,
  HIFN_IS_7956,
  READ_REG_0,
  READ_REG_1,
  WRITE_REG_0,
  areaSync,
  newStats,
  type HifnDriverOptions,
  type HifnSoftc,
} from './driver-softc.js';
import {
  hifn_enable_crypto,
  hifn_flags,
  hifn_getpllconfig,
  hifn_init_dma,
  hifn_init_pci_registers,
  hifn_init_pubrng,
  hifn_reset_board,
  hifn_reset_puc,
  hifn_sessions,
  hifn_set_retry,
  hifn_stop,
} from './driver-init.js';
import { hifn_freesession, hifn_newsession, hifn_process } from './driver-process.js';
import { hifnFlushCommands, hifn_intr } from './driver-intr.js';
import { hifnFlushPk, hifn_kprocess } from './driver-pk.js';

export type { HifnBugs, HifnDriverOptions, HifnSoftc, HifnStats } from './driver-softc.js';

function partname(dev: Device): string {
  const v = pci_get_vendor(dev);
  const d = pci_get_device(dev);
  if (v === PCI_VENDOR_HIFN) {
    const names: Record<number, string> = { 0x0006: 'Hifn 6500', [PCI_PRODUCT_HIFN_7751]: 'Hifn 7751', [PCI_PRODUCT_HIFN_7811]: 'Hifn 7811', [PCI_PRODUCT_HIFN_7951]: 'Hifn 7951', [PCI_PRODUCT_HIFN_7955]: 'Hifn 7955', [PCI_PRODUCT_HIFN_7956]: 'Hifn 7956' };
    return names[d] ?? 'Hifn unknown-part';
  }
  if (v === PCI_VENDOR_INVERTEX) return d === PCI_PRODUCT_INVERTEX_AEON ? 'Invertex AEON' : 'Invertex unknown-part';
  if (v === PCI_VENDOR_NETSEC) return d === PCI_PRODUCT_NETSEC_7751 ? 'NetSec 7751' : 'NetSec unknown-part';
  return 'Unknown-vendor unknown-part';
}

function newSoftc(dev: Device<HifnSoftc>, opts: HifnDriverOptions): HifnSoftc {
  return {
    dev, opts, bugs: opts.bugs ?? {}, crypto: opts.crypto, bar0: null, bar1: null, irq: null, intrhand: null,
    sc_flags: 0, sc_pllconfig: 0, sc_dmaier: 0, sc_drammodel: 1, sc_ramsize: 0, sc_maxses: 0,
    busdma: null, sc_dmat: null, areaTag: null, sc_dmamap: null, area: null, sc_dma_physaddr: 0,
    sc_hifn_commands: [], sc_cmdi: 0, sc_srci: 0, sc_dsti: 0, sc_resi: 0, sc_cmdu: 0, sc_srcu: 0, sc_dstu: 0, sc_resu: 0,
    sc_cmdk: 0, sc_srck: 0, sc_dstk: 0, sc_resk: 0, sc_cid: -1, sc_sessions: [],
    sc_c_busy: false, sc_s_busy: false, sc_d_busy: false, sc_r_busy: false, sc_active: 0, sc_needwakeup: 0, sc_curbatch: 0,
    maxbatch: opts.maxbatch ?? 1, tickThread: null, tickWanted: false, lastDisableT: 0, pkBusy: null, pkDone: null, detaching: false,
    stats: newStats(), prng: null,
  };
}

/** Release whatever attach got, in reverse order (its failure paths and detach). */
function release(sc: HifnSoftc): void {
  const dev = sc.dev;
  if (sc.intrhand && sc.irq) bus_teardown_intr(dev, sc.irq, sc.intrhand);
  sc.intrhand = null;
  if (sc.irq) bus_release_resource(dev, SYS_RES_IRQ, 0, sc.irq);
  sc.irq = null;
  const dma = sc.busdma;
  if (dma && sc.areaTag && sc.sc_dmamap && sc.area) {
    dma.bus_dmamap_unload(sc.areaTag, sc.sc_dmamap);
    dma.bus_dmamem_free(sc.areaTag, sc.area, sc.sc_dmamap);
  }
  sc.area = null;
  sc.sc_dmamap = null;
  if (dma && sc.areaTag) dma.bus_dma_tag_destroy(sc.areaTag);
  if (dma && sc.sc_dmat) dma.bus_dma_tag_destroy(sc.sc_dmat);
  sc.areaTag = sc.sc_dmat = null;
  if (sc.bar1) bus_release_resource(dev, SYS_RES_MEMORY, PCIR_BAR(1), sc.bar1);
  if (sc.bar0) bus_release_resource(dev, SYS_RES_MEMORY, PCIR_BAR(0), sc.bar0);
  sc.bar0 = sc.bar1 = null;
}

function hifn_attach(dev: Device<HifnSoftc>, opts: HifnDriverOptions): number {
  const sc = device_get_softc(dev);
  Object.assign(sc, newSoftc(dev, opts));
  sc.prng = opts.prng ?? new Prng(0x41f1, `${dev.nameunit}.iv`);
  sc.sc_flags = hifn_flags(sc);
  if (sc.sc_flags & HIFN_IS_7956) sc.sc_pllconfig = hifn_getpllconfig(66);
  pci_enable_busmaster(dev);
  sc.bar0 = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0), RF_ACTIVE);
  if (!sc.bar0) {
    device_printf(dev, 'cannot map bar0 register space');
    return ENXIO;
  }
  sc.bar1 = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(1), RF_ACTIVE);
  if (!sc.bar1) {
    device_printf(dev, 'cannot map bar1 register space');
    release(sc);
    return ENXIO;
  }
  hifn_set_retry(sc);
  const dma = (sc.busdma = bus_get_dma_tag(dev));
  sc.sc_dmat = dma.bus_dma_tag_create(null, 1, 0, BUS_SPACE_MAXADDR_32BIT, BUS_SPACE_MAXADDR, HIFN_MAX_DMALEN, MAX_SCATTER, HIFN_MAX_SEGLEN, 0, dev.nameunit);
  // FreeBSD allocates the DMA area with sc_dmat (whose maxsize is 256 KB); a tag of its own size, one segment.
  sc.areaTag = dma.bus_dma_tag_create(null, 8, 0, BUS_SPACE_MAXADDR_32BIT, BUS_SPACE_MAXADDR, HIFN_DMA_SIZE, 1, HIFN_DMA_SIZE, 0, dev.nameunit);
  const mem = dma.bus_dmamem_alloc(sc.areaTag, BUS_DMA_NOWAIT);
  if (mem.error) {
    device_printf(dev, 'cannot alloc dma buffer');
    release(sc);
    return ENXIO;
  }
  sc.area = mem.vaddr;
  sc.sc_dmamap = mem.map;
  const ld = dma.bus_dmamap_load_sg(sc.areaTag, mem.map, mem.vaddr, HIFN_DMA_SIZE, BUS_DMA_NOWAIT);
  if (ld.error) {
    device_printf(dev, 'cannot load dma map');
    release(sc);
    return ENXIO;
  }
  sc.sc_dma_physaddr = ld.segs[0]!.ds_addr;
  sc.sc_hifn_commands = new Array(24).fill(null);

  // Reset the board and do the "secret handshake" to enable the crypto support.
  hifn_reset_board(sc, false);
  if (hifn_enable_crypto(sc) !== 0) {
    device_printf(dev, 'crypto enabling failed');
    release(sc);
    return ENXIO;
  }
  hifn_reset_puc(sc);
  hifn_init_dma(sc);
  hifn_init_pci_registers(sc);

  sc.irq = bus_alloc_resource_any(dev, SYS_RES_IRQ, 0, RF_SHAREABLE | RF_ACTIVE);
  if (!sc.irq) {
    device_printf(dev, 'could not map interrupt');
    release(sc);
    return ENXIO;
  }
  sc.intrhand = bus_setup_intr(dev, sc.irq, INTR_TYPE_NET | INTR_MPSAFE, null, hifn_intr, sc);
  hifn_sessions(sc);

  const rev = READ_REG_1(sc, HIFN_1_REVID) & 0xffff;
  const kb = sc.sc_ramsize / 1024;
  const ram = kb >= 1024 ? `${kb / 1024}MB` : `${kb}KB`;
  const pll = sc.sc_flags & HIFN_IS_7956
    ? `, pll=0x${sc.sc_pllconfig.toString(16)}<${sc.sc_pllconfig & HIFN_PLL_REF_SEL ? 'ext' : 'pci'} clk, ${2 + 2 * ((sc.sc_pllconfig & HIFN_PLL_ND) >>> 11)}x mult>`
    : '';
  device_printf(dev, `${partname(dev)}, rev ${rev}, ${ram} ${sc.sc_drammodel ? 'd' : 's'}ram${pll}`);

  sc.sc_cid = sc.crypto.crypto_get_driverid(dev as unknown as CryptoDevice, CRYPTOCAP_F_HARDWARE);
  if (sc.sc_cid < 0) {
    device_printf(dev, 'could not get crypto driver id');
    release(sc);
    return ENXIO;
  }
  WRITE_REG_0(sc, HIFN_0_PUCNFG, READ_REG_0(sc, HIFN_0_PUCNFG) | HIFN_PUCNFG_CHIPID);
  const ena = READ_REG_0(sc, HIFN_0_PUSTAT) & HIFN_PUSTAT_CHIPENA;
  const algs: number[] = [];
  if (ena === HIFN_PUSTAT_ENA_2) {
    algs.push(CRYPTO_3DES_CBC, CRYPTO_ARC4);
    if (sc.sc_flags & HIFN_HAS_AES) algs.push(CRYPTO_AES_CBC);
  }
  if (ena === HIFN_PUSTAT_ENA_2 || ena === HIFN_PUSTAT_ENA_1) algs.push(CRYPTO_MD5, CRYPTO_SHA1, CRYPTO_MD5_HMAC, CRYPTO_SHA1_HMAC, CRYPTO_DES_CBC);
  for (const a of algs) sc.crypto.crypto_register(sc.sc_cid, a, 0, 0);
  areaSync(sc, BUS_DMASYNC_PREREAD | BUS_DMASYNC_PREWRITE);
  if (sc.sc_flags & (HIFN_HAS_PUBLIC | HIFN_HAS_RNG)) {
    // Difference: FreeBSD registers no keying op for Hifn; OpenBSD and OCF-Linux drive modexp.
    if (hifn_init_pubrng(sc) === 0 && sc.sc_flags & HIFN_HAS_PUBLIC && algs.length > 0) sc.crypto.crypto_kregister(sc.sc_cid, CRK_MOD_EXP, 0);
  }
  return 0;
}

function hifn_detach(dev: Device<HifnSoftc>): number {
  const sc = device_get_softc(dev);
  // The hot-eject contract: unregister first (live sessions become a CLEANUP tombstone) ...
  if (sc.sc_cid >= 0) sc.crypto.crypto_unregister_all(sc.sc_cid);
  // ... stop the card (after a surprise removal these writes go nowhere) ...
  hifn_stop(sc);
  dev.tree.scheduler.DELAY(10); // let a transfer already on the bus finish before the maps go
  sc.detaching = true;
  if (sc.tickThread) dev.tree.scheduler.wakeup(sc.tickThread);
  // ... then complete every request still on it.
  const lost = hifnFlushCommands(sc, EAGAIN) + hifnFlushPk(sc, EAGAIN);
  if (lost > 0) device_printf(dev, `${lost} request(s) in flight completed with EAGAIN`);
  for (const s of sc.sc_sessions) s.hs_iv.fill(0);
  release(sc);
  return 0;
}

/** The hifn driver_t. `options.crypto` is the machine's framework; `bugs` plant driver mistakes. */
export function hifnDriver(options: HifnDriverOptions): driver_t<HifnSoftc> {
  const methods: cryptodev_methods = {
    cryptodev_newsession: (dev, sidp, cri) => hifn_newsession(device_get_softc(dev as Device<HifnSoftc>), sidp, cri),
    cryptodev_freesession: (dev, sid) => hifn_freesession(device_get_softc(dev as Device<HifnSoftc>), sid),
    cryptodev_process: (dev, crp, hint) => hifn_process(device_get_softc(dev as Device<HifnSoftc>), crp, hint),
    cryptodev_kprocess: (dev, krp) => hifn_kprocess(device_get_softc(dev as Device<HifnSoftc>), krp),
  };
  return {
    name: 'hifn',
    methods,
    softc: () => ({}) as HifnSoftc,
    probe(dev) {
      const v = pci_get_vendor(dev);
      const d = pci_get_device(dev);
      const ok =
        (v === PCI_VENDOR_INVERTEX && d === PCI_PRODUCT_INVERTEX_AEON) ||
        (v === PCI_VENDOR_NETSEC && d === PCI_PRODUCT_NETSEC_7751) ||
        (v === PCI_VENDOR_HIFN && [PCI_PRODUCT_HIFN_7751, PCI_PRODUCT_HIFN_7951, PCI_PRODUCT_HIFN_7955, PCI_PRODUCT_HIFN_7956, PCI_PRODUCT_HIFN_7811].includes(d));
      if (!ok) return ENXIO;
      device_set_desc(dev, partname(dev));
      return BUS_PROBE_DEFAULT;
    },
    attach: (dev) => hifn_attach(dev, options),
    detach: (dev) => hifn_detach(dev),
  };
}
