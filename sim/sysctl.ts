/**
 * sysctl(8)-style named tunables of one machine. Each layer registers its own (the framework's
 * `kern.cryptodevallowsoft`, ...); `machine.sysctl(name, value?)` reads and sets them.
 *
 * @example
 *   sysctl.register('kern.userasymcrypto', { initial: 1, description: '...' });
 *   sysctl.set('kern.userasymcrypto', 0);
 */
export interface SysctlSpec {
  initial: number;
  description: string;
  /** Read-only tunables refuse `set`. */
  readonly?: boolean;
  /** Allowed range (inclusive); default any integer. */
  min?: number;
  max?: number;
}

export class SysctlError extends Error {
  override name = 'SysctlError';
}

export class Sysctl {
  private readonly specs = new Map<string, SysctlSpec>();
  private readonly values = new Map<string, number>();
  private readonly watchers = new Map<string, ((v: number) => void)[]>();

  register(name: string, spec: SysctlSpec): void {
    if (this.specs.has(name)) throw new SysctlError(`sysctl ${name} is already registered`);
    this.specs.set(name, spec);
    this.values.set(name, spec.initial);
  }

  get(name: string): number {
    const v = this.values.get(name);
    if (v === undefined) throw new SysctlError(`unknown sysctl ${name} (known: ${[...this.specs.keys()].sort().join(', ')})`);
    return v;
  }

  set(name: string, value: number): void {
    const spec = this.specs.get(name);
    if (!spec) throw new SysctlError(`unknown sysctl ${name} (known: ${[...this.specs.keys()].sort().join(', ')})`);
    if (spec.readonly) throw new SysctlError(`sysctl ${name} is read-only`);
    if (!Number.isInteger(value)) throw new SysctlError(`sysctl ${name}: value must be an integer, got ${value}`);
    if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
      throw new SysctlError(`sysctl ${name}: value must be in ${spec.min ?? '-inf'}..${spec.max ?? 'inf'}, got ${value}`);
    }
    this.values.set(name, value);
    for (const w of this.watchers.get(name) ?? []) w(value);
  }

  /** Call `fn` whenever `name` is set. */
  watch(name: string, fn: (v: number) => void): void {
    const list = this.watchers.get(name) ?? [];
    list.push(fn);
    this.watchers.set(name, list);
  }

  /** Every tunable with its value and description, sorted by name. */
  list(): { name: string; value: number; description: string; readonly: boolean }[] {
    return [...this.specs.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, s]) => ({ name, value: this.values.get(name)!, description: s.description, readonly: !!s.readonly }));
  }
}
