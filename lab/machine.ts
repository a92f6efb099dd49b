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
import { AMD64_2015_COSTS, type FrameworkCosts } from '../framework/costs.js';
import { formatViolation } from '../sim/violations.js';
import { ClockDomain } from '../sim/clock.js';

export interface HostProfile {
  name: string;
  cpuHz: number;
  framework: FrameworkCosts;
}

export const HOST_PROFILES: Readonly<Record<string, HostProfile>> = {
  'amd64-2015': { name: 'amd64-2015', cpuHz: 2_400_000_000, framework: AMD64_2015_COSTS },
};

export interface MachineOptions extends Omit<SimSystemOptions, 'cpuClock'> {
  /** Host CPU and framework cost profile (default 'amd64-2015'). */
  hostProfile?: string;
  /** Initial sysctl values, by name. */
  sysctl?: Record<string, number>;
}

export class Machine extends SimSystem {
  readonly crypto: CryptoFramework;
  readonly hostProfile: HostProfile;

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
    for (const [name, value] of Object.entries(options.sysctl ?? {})) this.sysctl(name, value);
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
