/**
 * The Hifn 7751 / 7951 / 7955 / 7956 silicon, built on devices/kit: the PU register group behind
 * BAR0 and the DMA / PLL / unlock / public-key group behind BAR1 (register maps in
 * model-registers.ts), the four rings and the packet-engine pipeline (model-pipeline.ts), the
 * public-key unit (model-pk.ts), resets, the crypto unlock handshake and the interrupt line.
 *
 * Crypto unlock (hw.md §2.8): the chip powers up at enable level ENA_0 (compression only). With
 * DMA_CNFG.UNLOCK set, a read of UNLOCK_SECRET1 returns a seed; the host then writes 0 and the 13
 * words of hifnNextSignature(seed, 0x101 + card id byte) to UNLOCK_SECRET2; the chip checks each.
 * All 13 right: the level becomes ENA_2 (ENA_1 for an export part). A handshake completed while
 * the chip is already unlocked locks it until power is cycled ("two unlocks kills chip until the
 * next reboot"): no reset brings crypto back, only `powerCycle()` or a new card. The handshake is
 * modelled for every part, as the FreeBSD driver runs it on every part; a 9751 (`cryptoAbsent`)
 * goes through it and stays at ENA_0.
 *
 * Clocks: the 7751/7951 run at their table's core clock. On the 795x the packet engine runs at
 * the PLL's output once the driver has programmed it (REF_SEL ? board crystal : PCI clock) x ND
 * multiplier, with PE_CLK_SEL set and bypass clear; before that it runs from the reference clock
 * alone (a mis-set PLL is hw.md fault 7, a slow card). The PK clock is the engine clock / 2.
 *
 * @example
 *   machine.cardbus.insert(0, new HifnModel({ part: '7956', trace: machine.trace }));
 */
import { ClockDomain } from '../../sim/clock.js';
import type { PciDevicePort } from '../../sim/pci-config.js';
import type { Prng } from '../../sim/prng.js';
import type { TraceRecorder } from '../../sim/trace.js';
import { createBackend, type CryptoBackend } from '../../framework/xform/backend.js';
import { KitCard } from '../kit/card.js';
import { DeviceEnv } from '../kit/env.js';
import { InterruptLine } from '../kit/irq.js';
import type { RegisterFile } from '../kit/registers.js';
import {
  HIFN_BAR0_SIZE,
  HIFN_BAR1_SIZE,
  HIFN_DMACNFG_DMARESET,
  HIFN_DMACNFG_MSTRESET,
  HIFN_DMACNFG_POLLFREQ,
  HIFN_DMACNFG_UNLOCK,
  HIFN_DMACSR_PUBDONE,
  HIFN_DMACSR_STATUS_ALL,
  HIFN_PLL_BP,
  HIFN_PLL_ND,
  HIFN_PLL_ND_SHIFT,
  HIFN_PLL_PE_CLK_SEL,
  HIFN_PLL_REF_SEL,
  HIFN_PUBIEN_DONE,
  HIFN_PUCNFG_CHIPID,
  HIFN_PUCTRL_RESET,
  HIFN_PUISR_CMDINVAL,
  HIFN_PUSTAT_ENA_0,
  HIFN_PUSTAT_ENA_1,
  HIFN_PUSTAT_ENA_2,
  HIFN_UNLOCK_WORDS,
  hifnNextSignature,
} from './regs.js';
import { HIFN_PARTS, type HifnPartInfo, type HifnPartName } from './parts.js';
import { HIFN_TIMING, type HifnTiming } from './timing.js';
import { HifnPipeline, type RingName } from './model-pipeline.js';
import { HifnPkUnit } from './model-pk.js';
import { hifnBar0, hifnBar1, type HifnRegName } from './model-registers.js';

export interface HifnModelOptions {
  part?: HifnPartName;
  trace?: TraceRecorder;
  /** A stream of the machine's PRNG: fault injection, the RNG, the unlock seed. */
  prng?: Prng;
  /** Which implementations compute the crypto (bytes are the same either way). */
  backend?: CryptoBackend;
  /** Board crystal feeding the 795x PLL when REF_SEL is set (default 66 MHz, hw.md §2.9). */
  extRefHz?: number;
  /** A Hifn 9751: same PCI id as the 7751, no crypto; unlocking leaves it at ENA_0. */
  cryptoAbsent?: boolean;
  /** An export part: unlocking reaches ENA_1 (DES and MACs) instead of ENA_2. */
  exportLevel?: boolean;
  /** Replace the part's timing table (calibration experiments). */
  timing?: HifnTiming;
}

export interface HifnModelStats {
  unlocks: number;
  doubleUnlocks: number;
  resets: number;
  invalidCommands: string[];
}

export class HifnModel extends KitCard {
  readonly part: HifnPartInfo;
  readonly timing: HifnTiming;
  readonly bar0: RegisterFile<HifnRegName>;
  readonly bar1: RegisterFile<HifnRegName>;
  readonly pipeline: HifnPipeline;
  readonly pk: HifnPkUnit | null;
  readonly irq: InterruptLine;
  readonly stats: HifnModelStats = { unlocks: 0, doubleUnlocks: 0, resets: 0, invalidCommands: [] };
  protected readonly barFiles: readonly RegisterFile<HifnRegName>[];
  private readonly backend: CryptoBackend;
  private readonly extRefHz: number;
  private readonly opts: HifnModelOptions;
  private level = HIFN_PUSTAT_ENA_0;
  /** Locked until power is cycled (the double-unlock lockup). */
  private bricked = false;
  private unlockStep = -1;
  private unlockExpect = 0;
  private unlockSeed: number;
  private coreClk: ClockDomain;
  private pkClk: ClockDomain;
  private rngState: number;

  constructor(o: HifnModelOptions = {}) {
    const part = HIFN_PARTS[o.part ?? '7751'];
    super(
      { vendorId: part.vendorId, deviceId: part.deviceId, revision: part.revision, classCode: 0x10, subclass: 0x00, progIf: 0, bars: [{ size: HIFN_BAR0_SIZE }, { size: HIFN_BAR1_SIZE }], interruptPin: 1 },
      new DeviceEnv({ name: `hifn${part.name}`, ...(o.trace ? { trace: o.trace } : {}), ...(o.prng ? { prng: o.prng } : {}) }),
    );
    this.opts = o;
    this.part = part;
    this.timing = o.timing ?? HIFN_TIMING[part.name];
    this.backend = o.backend ?? createBackend();
    this.extRefHz = o.extRefHz ?? 66_000_000;
    this.unlockSeed = o.prng ? o.prng.int(1, 0x7fffffff) : 0x5eed1751;
    this.rngState = this.unlockSeed ^ 0x9e3779b9;
    this.coreClk = this.part.is795x ? new ClockDomain('hifn-ref', this.extRefHz) : new ClockDomain(`hifn${part.name}-core`, this.timing.coreHz.value);
    this.pkClk = new ClockDomain('hifn-pk', Math.round(this.coreClk.hz / this.timing.pkClockDivisor.value));
    this.bar0 = this.registerFile(hifnBar0(this));
    this.bar1 = this.registerFile(hifnBar1(this));
    this.barFiles = [this.bar0, this.bar1];
    this.irq = new InterruptLine(this.env, { name: 'intr' });
    const self = this;
    this.pipeline = new HifnPipeline({
      env: this.env,
      timing: this.timing,
      backend: this.backend,
      hasAes: part.hasAes,
      coreClock: () => self.coreClk,
      pollPeriodPs: () => self.pollPeriodPs(),
      cryptoEnabled: () => self.level !== HIFN_PUSTAT_ENA_0 && !self.bricked,
      strongCrypto: () => self.level === HIFN_PUSTAT_ENA_2,
      setStatus: (bits) => self.setStatus(bits),
      commandInvalid: (why, t) => self.commandInvalid(why, t),
    });
    this.pk = part.hasPublic ? new HifnPkUnit(this.env, this.bar1 as RegisterFile<string>, this.timing, () => self.pkClk, (t) => self.pkDone(t)) : null;
  }

  /** Crypto enable level as PUSTAT reports it (ENA_0 locked, ENA_1, ENA_2). */
  get enableLevel(): number {
    return this.bricked ? HIFN_PUSTAT_ENA_0 : this.level;
  }

  /** The packet engine clock now, Hz. */
  get engineHz(): number {
    return this.coreClk.hz;
  }

  /** Put in a slot: the card powers up (reset state, crypto locked). */
  override connect(port: PciDevicePort): void {
    super.connect(port);
    this.powerCycle();
  }

  /** Power cycle: back to the reset state, crypto locked again (and a double-unlock lockup gone). */
  powerCycle(): void {
    this.level = HIFN_PUSTAT_ENA_0;
    this.bricked = false;
    this.unlockStep = -1;
    this.bar0.reset();
    this.bar1.reset();
    this.masterReset(this.env.connected ? this.env.now : 0);
  }

  // ---- hooks from the register files (model-registers.ts) -----------------------------------------

  /** @internal PUSTAT: the enable level while PUCNFG.CHIPID is set, else the PU status bits. */
  readPustat(stored: number): number {
    const chipid = (this.bar0.get('HIFN_0_PUCNFG') & HIFN_PUCNFG_CHIPID) !== 0;
    return ((chipid ? this.enableLevel : stored & 0xff00) | (this.part.revision & 0xff)) >>> 0;
  }

  /** @internal A write to the PU control register that resets the PU on this part. */
  puReset(reg: 'HIFN_0_PUCTRL' | 'HIFN_0_PUCTRL2', t: number): void {
    const r = this.bar0.reg(reg);
    r.setBits(HIFN_PUCTRL_RESET);
    this.env.engine.schedule(t + this.coreClk.cyclesToPs(this.timing.puResetCycles.value), () => r.clearBits(HIFN_PUCTRL_RESET));
  }

  /** @internal DMA_CSR written: ring controls (status bits were cleared by the register file). */
  csrWritten(written: number, t: number): void {
    if (this.inReset()) return this.updateIrq();
    const names: [RingName, number][] = [['dst', 30], ['res', 22], ['src', 14], ['cmd', 6]];
    for (const [name, shift] of names) {
      const ctrl = (written >>> shift) & 3;
      if (ctrl === 1) this.pipeline.control(name, false, t);
      else if (ctrl === 2) this.pipeline.control(name, true, t);
    }
    this.updateIrq();
  }

  /** @internal DMA_CNFG written: resets (active low), unlock mode, poll frequency. */
  cnfgWritten(old: number, value: number, t: number): void {
    if (!(value & HIFN_DMACNFG_MSTRESET)) this.masterReset(t);
    else if (!(value & HIFN_DMACNFG_DMARESET)) this.dmaReset(t);
    if (!(value & HIFN_DMACNFG_UNLOCK)) this.unlockStep = -1;
    if ((old ^ value) & HIFN_DMACNFG_POLLFREQ) this.pipeline.repoll(t);
  }

  /** @internal A ring base register. */
  ringBase(name: RingName, value: number): void {
    this.pipeline.setBase(name, value >>> 0);
  }

  /** @internal UNLOCK_SECRET1 read: the seed, when DMA_CNFG.UNLOCK is set. */
  readSecret1(): number {
    if (!(this.bar1.get('HIFN_1_DMA_CNFG') & HIFN_DMACNFG_UNLOCK)) return 0;
    this.unlockStep = 0;
    this.unlockExpect = this.unlockSeed;
    return this.unlockSeed;
  }

  /** @internal UNLOCK_SECRET2 written: one step of the handshake. */
  secret2Written(value: number, t: number): void {
    if (this.unlockStep < 0) return;
    if (this.unlockStep === 0) {
      this.unlockStep = value === 0 ? 1 : -1;
      return;
    }
    // Word i (1-based) must be the LFSR advanced 0x101 + card id byte (all vendors: 0) steps.
    this.unlockExpect = hifnNextSignature(this.unlockExpect, 0x101);
    if ((value >>> 0) !== this.unlockExpect) {
      this.unlockStep = -1;
      this.env.note('hifn.unlock-failed', t, {});
      return;
    }
    if (++this.unlockStep <= HIFN_UNLOCK_WORDS) return;
    this.unlockStep = -1;
    if (this.level !== HIFN_PUSTAT_ENA_0 || this.bricked) {
      this.bricked = true;
      this.stats.doubleUnlocks++;
      this.env.note('hifn.double-unlock', t, { detail: 'crypto locked until power cycle' });
      return;
    }
    this.stats.unlocks++;
    if (!this.opts.cryptoAbsent) this.level = this.opts.exportLevel ? HIFN_PUSTAT_ENA_1 : HIFN_PUSTAT_ENA_2;
    this.env.note('hifn.unlocked', t, { level: this.level });
  }

  /** @internal PLL written (795x): the engine clock follows. */
  pllWritten(value: number): void {
    if (!this.part.is795x) return;
    const ref = value & HIFN_PLL_REF_SEL ? this.extRefHz : this.env.portOrNull?.clock.hz ?? 33_333_333;
    const mult = 2 + 2 * ((value & HIFN_PLL_ND) >>> HIFN_PLL_ND_SHIFT);
    const hz = value & HIFN_PLL_PE_CLK_SEL && !(value & HIFN_PLL_BP) ? ref * mult : ref;
    if (Math.round(hz) !== Math.round(this.coreClk.hz)) {
      this.coreClk = new ClockDomain('hifn-core', Math.round(hz));
      this.pkClk = new ClockDomain('hifn-pk', Math.round(hz / this.timing.pkClockDivisor.value));
    }
  }

  /** @internal PUB_RESET written. */
  pubReset(t: number): void {
    this.pk?.reset();
    const r = this.bar1.reg('HIFN_1_PUB_RESET');
    this.env.engine.schedule(t + this.coreClk.cyclesToPs(this.timing.pkResetCycles.value), () => r.clearBits(1));
  }

  /** @internal An operation written to PUB_OP (compat) or PUB_FIFO_OP (enhanced). */
  pubOp(oplen: number, op: number, t: number): void {
    this.pk?.start(oplen, op, t);
  }

  /** @internal RNG_DATA read: a new word while the RNG is enabled (xorshift over the seed: the bits are not the point). */
  readRng(): number {
    if (!(this.bar1.get('HIFN_1_RNG_CONFIG') & 1)) return 0;
    let x = this.rngState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rngState = x >>> 0;
    return this.rngState;
  }

  /** @internal Re-evaluate the interrupt line: an enabled DMA_CSR status bit. */
  updateIrq(): void {
    const csr = this.bar1.get('HIFN_1_DMA_CSR');
    const ier = this.bar1.get('HIFN_1_DMA_IER');
    this.irq.update((csr & ier & HIFN_DMACSR_STATUS_ALL) !== 0);
  }

  // ---- internals ----------------------------------------------------------------------------

  private inReset(): boolean {
    const c = this.bar1.get('HIFN_1_DMA_CNFG');
    return !(c & HIFN_DMACNFG_MSTRESET) || !(c & HIFN_DMACNFG_DMARESET);
  }

  private pollPeriodPs(): number {
    const freq = (this.bar1.get('HIFN_1_DMA_CNFG') & HIFN_DMACNFG_POLLFREQ) >>> 16;
    const port = this.env.portOrNull;
    if (freq === 0 || !port) return 0;
    return port.clock.cyclesToPs(freq * this.timing.pollUnitPciClocks.value);
  }

  private setStatus(bits: number): void {
    this.bar1.reg('HIFN_1_DMA_CSR').setBits(bits);
    this.updateIrq();
  }

  private commandInvalid(why: string, t: number): void {
    this.stats.invalidCommands.push(why);
    this.bar0.reg('HIFN_0_PUISR').setBits(HIFN_PUISR_CMDINVAL);
    this.env.note('hifn.cmdinval', t, { why });
  }

  private pkDone(t: number): void {
    if (this.bar1.get('HIFN_1_PUB_IEN') & HIFN_PUBIEN_DONE) this.setStatus(HIFN_DMACSR_PUBDONE);
    this.env.note('pk.done', t);
  }

  /** DMA reset: rings and pipeline stopped and emptied, status cleared. */
  private dmaReset(t: number): void {
    this.stats.resets++;
    this.pipeline.reset();
    this.bar1.set('HIFN_1_DMA_CSR', 0);
    this.env.note('hifn.dma-reset', t);
    this.updateIrq();
  }

  /** Master reset: the DMA unit, the PU and the PK unit. The enable level survives (hw.md §2.10). */
  private masterReset(t: number): void {
    this.dmaReset(t);
    this.pk?.reset();
    this.bar0.set('HIFN_0_PUISR', 0);
  }
}
