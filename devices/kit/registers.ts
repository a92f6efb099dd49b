/**
 * Declarative register files: a card's registers as data (register.ts: name, offset, width, reset
 * value, fields with access kinds, read and write hooks), after Renode's register framework and
 * QEMU's `REG32`/`FIELD` macros. One `RegisterFile` answers `mmioRead` / `mmioWrite` for one BAR.
 *
 * Access kinds and hooks are described in register.ts.
 *
 * An access no register or region covers is not an error: it is counted in `unmodelled` (one
 * record per offset and direction), traced as `reg.unmodelled`, reads return `unmodelledRead`
 * and writes vanish ("model what software uses; list everything; name the rest").
 *
 * Accesses may be narrower than a register (a byte write to a 32-bit register touches only its
 * lane: W1C bits outside the lane are not cleared) or span several registers.
 *
 * @example
 *   const bar1 = new RegisterFile({ name: 'BAR1', size: 0x1000, registers: [
 *     { name: 'DMA_CSR', offset: 0x40, fields: [
 *       { name: 'D_CTRL', mask: 0xc0000000, access: 'pulse' },
 *       { name: 'D_STATUS', mask: 0x3e000000, access: 'w1c' } ],
 *       onWrite: (e) => ringControl(e.pulsed, e.t) },
 *     { name: 'DMA_IER', offset: 0x44 },
 *   ] });
 *   bar1.reg('DMA_CSR').setBits(0x10000000); // the device sets D_DONE
 *   bar1.read(0x40, 4, t);                   // what bus_space_read_4 sees
 */
import type { TraceRecorder } from '../../sim/trace.js';
import { Register, WIDTH_MASK, hex, u32, type RegisterSpec } from './register.js';

export { Register, type AccessKind, type FieldSpec, type RegisterRead, type RegisterSpec, type RegisterWrite } from './register.js';

/** A window of plain memory in a BAR (Hifn PK operand memory, a context RAM). Little-endian. */
export interface RegionSpec {
  name: string;
  offset: number;
  size: number;
  readOnly?: boolean;
  onWrite?: (e: { offset: number; width: number; value: number; t: number }) => void;
  doc?: string;
}

/** One offset software touched that nothing models. */
export interface UnmodelledAccess {
  offset: number;
  op: 'read' | 'write';
  width: number;
  /** The last value written (writes) or returned (reads). */
  value: number;
  firstT: number;
  count: number;
}

/** Every MMIO access (reads after, writes before they take effect), for models that react to access patterns (Hifn 7811 burst-write lockup). */
export interface MmioAccess {
  op: 'read' | 'write';
  offset: number;
  width: number;
  value: number;
  t: number;
}

export interface RegisterFileOptions<N extends string> {
  /** "BAR0", or the chip's name for the group ("PU"). */
  name: string;
  /** BAR size in bytes; every register and region must fit. */
  size: number;
  registers: readonly RegisterSpec<N>[];
  regions?: readonly RegionSpec[];
  /** What a read of an unmodelled offset returns (default 0). */
  unmodelledRead?: number;
  trace?: TraceRecorder;
  /** The device's current name for the trace. */
  device?: () => string;
  /** Called for every access: a read with the value it returned, a write before it takes effect. */
  observe?: (a: MmioAccess) => void;
}

interface Region {
  spec: RegionSpec;
  bytes: Uint8Array;
}

export class RegisterFile<N extends string = string> {
  readonly name: string;
  readonly size: number;
  readonly registers: readonly Register<N>[];
  private readonly byName = new Map<string, Register<N>>();
  /** Byte offset -> register covering it. */
  private readonly byByte = new Map<number, Register<N>>();
  private readonly regions: Region[] = [];
  private readonly unmodelledMap = new Map<string, UnmodelledAccess>();
  private readonly o: RegisterFileOptions<N>;
  /** Accesses to unmodelled offsets, all counted. */
  unmodelledCount = 0;

  constructor(o: RegisterFileOptions<N>) {
    if (!Number.isSafeInteger(o.size) || o.size <= 0) throw new RangeError(`${o.name}: size must be a positive integer, got ${o.size}`);
    this.o = o;
    this.name = o.name;
    this.size = o.size;
    this.registers = o.registers.map((s) => new Register<N>(s, o.name));
    for (const r of this.registers) {
      if (this.byName.has(r.name)) throw new RangeError(`${o.name}: two registers are called ${r.name}`);
      this.byName.set(r.name, r);
      if (r.offset + r.width > o.size) throw new RangeError(`${o.name}.${r.name}: offset ${hex(r.offset)} lies outside the ${hex(o.size)}-byte BAR`);
      for (let b = r.offset; b < r.offset + r.width; b++) {
        const other = this.byByte.get(b);
        if (other) throw new RangeError(`${o.name}: ${r.name} at ${hex(r.offset)} overlaps ${other.name}`);
        this.byByte.set(b, r);
      }
    }
    for (const r of this.registers) {
      const a = r.spec.readAlias;
      if (a === undefined) continue;
      const target = this.byName.get(a);
      if (!target) throw new RangeError(`${o.name}.${r.name}: readAlias names no register (${a})`);
      if (target.width !== r.width || target.spec.readAlias !== undefined) throw new RangeError(`${o.name}.${r.name}: readAlias ${a} must have the same width and not be an alias itself`);
      r.alias = target;
    }
    for (const s of o.regions ?? []) {
      if (!Number.isSafeInteger(s.offset) || s.offset < 0 || !Number.isSafeInteger(s.size) || s.size <= 0 || s.offset + s.size > o.size) {
        throw new RangeError(`${o.name}.${s.name}: region [${hex(s.offset)}, +${hex(s.size)}) must lie inside the BAR`);
      }
      for (let b = s.offset; b < s.offset + s.size; b += 4) if (this.byByte.has(b)) throw new RangeError(`${o.name}.${s.name}: region overlaps register ${this.byByte.get(b)!.name}`);
      this.regions.push({ spec: s, bytes: new Uint8Array(s.size) });
    }
  }

  /** The register called `name`. */
  reg(name: N): Register<N> {
    const r = this.byName.get(name);
    if (!r) throw new RangeError(`${this.name}: no register ${name}`);
    return r;
  }

  /** Stored value of a register (device side). */
  get(name: N): number {
    return this.reg(name).value;
  }

  /** Store a register's value (device side: no access semantics, no hooks). */
  set(name: N, value: number): void {
    this.reg(name).value = value;
  }

  /** The bytes of a region (device side). */
  region(name: string): Uint8Array {
    const r = this.regions.find((x) => x.spec.name === name);
    if (!r) throw new RangeError(`${this.name}: no region ${name}`);
    return r.bytes;
  }

  /** Every register back to its reset value (regions are left alone). */
  reset(): void {
    for (const r of this.registers) r.reset();
  }

  /** Unmodelled offsets software touched, in the order first seen. */
  get unmodelled(): readonly UnmodelledAccess[] {
    return [...this.unmodelledMap.values()];
  }

  /** A software (bus) read of `width` bytes at `offset`. */
  read(offset: number, width: 1 | 2 | 4, t: number): number {
    this.checkAccess(offset, width);
    const r = this.byByte.get(offset);
    const v = u32((r && r.offset === offset && r.width === width ? r.swRead(t, WIDTH_MASK[width]) : this.slowAccess('read', offset, width, 0, t)) & WIDTH_MASK[width]);
    this.o.observe?.({ op: 'read', offset, width, value: v, t });
    return v;
  }

  /** A software (bus) write of `width` bytes at `offset`. */
  write(offset: number, width: 1 | 2 | 4, value: number, t: number): void {
    this.checkAccess(offset, width);
    const v = u32(value & WIDTH_MASK[width]);
    this.o.observe?.({ op: 'write', offset, width, value: v, t });
    const r = this.byByte.get(offset);
    if (r && r.offset === offset && r.width === width) r.swWrite(t, v, WIDTH_MASK[width]);
    else this.slowAccess('write', offset, width, v, t);
  }

  /** The register map as a table, one line per register and field (for docs and debugging). */
  describe(): string {
    const lines = [`${this.name} (${hex(this.size)} bytes)`];
    const items: { offset: number; text: string[] }[] = [];
    for (const r of this.registers) {
      const head = `  ${hex(r.offset).padStart(6)}  ${r.name.padEnd(16)} ${r.width * 8}-bit reset ${hex(r.resetValue)}${r.alias ? ` reads ${r.alias.name}` : ''}${r.spec.doc ? `  ${r.spec.doc}` : ''}`;
      const text = [head];
      for (const f of r.fields) text.push(`            ${f.name.padEnd(14)} ${hex(u32(f.mask)).padStart(10)} ${f.access}${f.doc ? `  ${f.doc}` : ''}`);
      items.push({ offset: r.offset, text });
    }
    for (const g of this.regions) items.push({ offset: g.spec.offset, text: [`  ${hex(g.spec.offset).padStart(6)}  ${g.spec.name.padEnd(16)} ${g.spec.size} bytes of ${g.spec.readOnly ? 'read-only ' : ''}memory${g.spec.doc ? `  ${g.spec.doc}` : ''}`] });
    items.sort((a, b) => a.offset - b.offset);
    for (const i of items) lines.push(...i.text);
    return lines.join('\n');
  }

  private checkAccess(offset: number, width: number): void {
    if (width !== 1 && width !== 2 && width !== 4) throw new RangeError(`${this.name}: access width must be 1, 2 or 4, got ${width}`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + width > this.size) throw new RangeError(`${this.name}: access at ${hex(offset)} (width ${width}) lies outside the ${hex(this.size)}-byte BAR`);
    if (offset % width !== 0) throw new RangeError(`${this.name}: access at ${hex(offset)} is not aligned to its width ${width}`);
  }

  /** Partial, multi-register, region and unmodelled accesses, byte lane by byte lane. */
  private slowAccess(op: 'read' | 'write', offset: number, width: number, value: number, t: number): number {
    let result = 0;
    let missing = -1;
    for (let i = 0; i < width; ) {
      const at = offset + i;
      const r = this.byByte.get(at);
      if (r) {
        // The run of bytes of this access that fall in register r.
        const first = at - r.offset;
        const n = Math.min(width - i, r.width - first);
        const laneMask = u32((2 ** (8 * n) - 1) * 2 ** (8 * first));
        if (op === 'read') {
          const v = r.swRead(t, laneMask);
          result += ((v & laneMask) >>> (8 * first)) * 2 ** (8 * i);
        } else {
          const part = Math.floor(value / 2 ** (8 * i)) & (2 ** (8 * n) - 1);
          r.swWrite(t, u32(part * 2 ** (8 * first)), laneMask);
        }
        i += n;
        continue;
      }
      const g = this.regions.find((x) => at >= x.spec.offset && at < x.spec.offset + x.spec.size);
      if (g) {
        const n = Math.min(width - i, g.spec.offset + g.spec.size - at);
        const base = at - g.spec.offset;
        if (op === 'read') {
          for (let k = 0; k < n; k++) result += g.bytes[base + k]! * 2 ** (8 * (i + k));
        } else if (!g.spec.readOnly) {
          let part = 0;
          for (let k = 0; k < n; k++) {
            const b = Math.floor(value / 2 ** (8 * (i + k))) & 0xff;
            g.bytes[base + k] = b;
            part += b * 2 ** (8 * k);
          }
          g.spec.onWrite?.({ offset: base, width: n, value: part, t });
        }
        i += n;
        continue;
      }
      if (missing < 0) missing = at;
      if (op === 'read') result += (((this.o.unmodelledRead ?? 0) >>> (8 * (at % 4))) & 0xff) * 2 ** (8 * i);
      i++;
    }
    if (missing >= 0) this.noteUnmodelled(op, missing, offset, width, op === 'read' ? result : value, t);
    return result;
  }

  private noteUnmodelled(op: 'read' | 'write', at: number, offset: number, width: number, value: number, t: number): void {
    this.unmodelledCount++;
    const key = `${op}:${offset}`;
    const rec = this.unmodelledMap.get(key);
    if (rec) {
      rec.count++;
      rec.value = value;
    } else {
      this.unmodelledMap.set(key, { offset, op, width, value, firstT: t, count: 1 });
    }
    const tr = this.o.trace;
    if (tr?.on) {
      tr.record({
        t, layer: 'device', where: this.o.device?.() ?? this.name, kind: 'reg.unmodelled',
        fields: { file: this.name, op, offset, width, value, byte: at },
      });
    }
  }
}
