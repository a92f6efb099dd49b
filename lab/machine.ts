/**
 * The Machine: the composition root. It builds the substrate (CPUs, memory, PCI bus with hot-plug
 * slots, bus_dma, interrupts), the crypto(9) framework on top, and (when present) the software
 * driver; later layers add cards. Everything a simulation owns hangs off one Machine: no globals.
 *
 * @example
 *   const m = new Machine({ seed: 42, cpus: 2 });
 *   m.sysctl('debug.crypto_timing', 1);
 *   m.crypto.crypto_newsession(cri, CRYPTOCAP_F_SOFTWARE);
 *   m.run();
 */
import { SimSystem, type SimSystemOptions } from '../sim/system.js';
import { CryptoFramework } from '../framework/crypto.js';
import { AMD64_2015_COSTS, PENTIUM4_2003_COSTS, type FrameworkCosts } from '../framework/costs.js';
import { Cryptosoft } from '../framework/cryptosoft.js';
import { AMD64_2015_SWCOSTS, PENTIUM4_2003_SWCOSTS, type SoftwareCryptoCosts } from '../framework/swcosts.js';
import { createBackend, type BackendPreference } from '../framework/xform/backend.js';
import { cryptodev_open, type CryptodevHandle } from '../framework/cryptodev.js';
import { formatViolation } from '../sim/violations.js';
import { ClockDomain } from '../sim/clock.js';
import type { EjectMode, SlotOperation } from '../sim/hotplug.js';
import { MachineCards, type CardPlacement } from './cards.js';

export interface HostProfile {
  name: string;
  cpuHz: number;
  framework: FrameworkCosts;
  /** What cryptosoft's transforms cost on this CPU (framework/swcosts.ts). */
  cryptosoft: SoftwareCryptoCosts;
}

export const HOST_PROFILES: Readonly<Record<string, HostProfile>> = {
  /** A 2.4 GHz x86-64 server core of about 2015 (the default). */
  'amd64-2015': { name: 'amd64-2015', cpuHz: 2_400_000_000, framework: AMD64_2015_COSTS, cryptosoft: AMD64_2015_SWCOSTS },
  /** A 2.4 GHz Pentium 4 of about 2003, without AES instructions: the era of the Hifn and Broadcom cards. */
  'p4-2003': { name: 'p4-2003', cpuHz: 2_400_000_000, framework: PENTIUM4_2003_COSTS, cryptosoft: PENTIUM4_2003_SWCOSTS },
};

export interface MachineOptions extends Omit<SimSystemOptions, 'cpuClock'> {
  /** Host CPU and framework cost profile (default 'amd64-2015'). */
  hostProfile?: string;
  /** Initial sysctl values, by name. */
  sysctl?: Record<string, number>;
  /**
   * Which implementations compute cryptosoft's bytes (default: OCFSIM_CRYPTO_BACKEND, else 'auto',
   * i.e. OpenSSL where this process has the algorithm). Only host speed differs: the bytes and the
   * simulated timeline are the same for every choice.
   */
  cryptoBackend?: BackendPreference;
  /** Cards put in the CardBus slots at boot, by model name (lab/cards.ts); they attach ~1 ms in. */
  cards?: readonly CardPlacement[];
}

export class Machine extends SimSystem {
  readonly crypto: CryptoFramework;
  /** The software crypto driver, cryptosoft0 (SOFTWARE | SYNC), attached on every machine. */
  readonly cryptosoft: Cryptosoft;
  readonly hostProfile: HostProfile;
  /** The cards in the slots, by model name (lab/cards.ts). */
  readonly cards: MachineCards;

  constructor(options: MachineOptions = {}) {
    const profileName = options.hostProfile ?? 'amd64-2015';
    const profile = HOST_PROFILES[profileName];
    if (!profile) {
      throw new RangeError(`Machine: unknown hostProfile "${profileName}" (known: ${Object.keys(HOST_PROFILES).join(', ')})`);
    }
    super({ ...options, cpuClock: new ClockDomain(`cpu-${profile.name}`, profile.cpuHz) });
    this.hostProfile = profile;
    this.crypto = new CryptoFramework({
      scheduler: this.scheduler,
      trace: this.trace,
      violations: this.violations,
      sysctl: this.sysctls,
      costs: profile.framework,
      console: (line) => this.tree.printf(line),
    });
    // FreeBSD attaches cryptosoft as a nexus child at boot; cards here arrive later (hot-plug), so
    // cryptosoft0 normally holds driver id 0.
    this.cryptosoft = new Cryptosoft({
      crypto: this.crypto,
      scheduler: this.scheduler,
      prng: this.prng,
      mem: this.mem,
      trace: this.trace,
      costs: profile.cryptosoft,
      backend: createBackend(options.cryptoBackend !== undefined ? { prefer: options.cryptoBackend } : {}),
    });
    if (this.cryptosoft.attach() !== 0) throw new Error('Machine: cryptosoft0 could not get a driver id');
    for (const [name, value] of Object.entries(options.sysctl ?? {})) this.sysctl(name, value);
    this.cards = new MachineCards(this, options.cards ?? []);
  }

  /** Insert a card of model `card` ("hifn7956") into slot `slot` at time `at` (ps, default now). */
  insert(slot: number, card: string, at?: number): SlotOperation {
    return this.cards.insert(slot, card, at);
  }

  /** Eject the card `name` ("hifn0", or a slot index) at time `at` (ps, default now). */
  eject(name: string | number, mode: EjectMode = 'surprise', at?: number): SlotOperation {
    return this.cards.eject(name, mode, at);
  }

  /** open("/dev/crypto") + CRIOGET: a descriptor with its own session list (docs/cryptodev.md). */
  cryptodev(): CryptodevHandle {
    return cryptodev_open(this);
  }

  /** Read a sysctl, or set it when `value` is given (returns the new value). */
  sysctl(name: string, value?: number): number {
    if (value !== undefined) this.sysctls.set(name, value);
    return this.sysctls.get(name);
  }

  /**
   * Run until nothing is left to do. A request still in flight when the machine is idle can never
   * complete: each is reported as a "lost-request" violation.
   */
  override run(): void {
    super.run();
    this.crypto.reportLostRequests();
  }

  /** One line per violation, for reports and failing tests. */
  violationReport(): string {
    return this.violations.all.map(formatViolation).join('\n');
  }
}
