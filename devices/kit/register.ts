/**
 * One register of a card, declared as data: name, offset, width, reset value, fields with access
 * kinds, and read/write hooks (Renode `DoubleWordRegister` / `FieldMode`, QEMU `REG32`/`FIELD`).
 * A `RegisterFile` (registers.ts) holds a BAR's registers and routes bus accesses to them.
 *
 * Access kinds, per field (bits not covered by a field take the register's `access`, which is
 * 'rw' for a register without fields and 'ro' — reserved, reads as stored — for one with fields):
 *
 * | kind  | software read       | software write                        | examples                        |
 * |-------|---------------------|---------------------------------------|---------------------------------|
 * | ro    | value               | ignored                               | Hifn PUSTAT, REVID              |
 * | rw    | value               | stored                                | ring bases, interrupt enables   |
 * | w1c   | value               | 1 clears the bit, 0 leaves it         | Hifn DMA_CSR status bits        |
 * | w1s   | value               | 1 sets the bit, 0 leaves it           | enable-set registers            |
 * | sc    | value               | 1 sets; the *device* clears it later  | Hifn PUCTRL.RESET, PUB_RESET    |
 * | pulse | 0                   | 1 is an action, nothing is stored     | doorbells, START strobes        |
 * | rc    | value, then cleared | ignored                               | read-to-clear event counters    |
 * | wo    | 0                   | stored (the device can read it)       | Hifn UNLOCK_SECRET2             |
 *
 * `readAlias` makes a register's reads return another register (with that register's read side
 * effects) while writes stay its own: SafeXcel 0xA4 is HM_STAT on read and HI_CLR on write.
 *
 * The device side uses `value`, `setBits`, `clearBits`, `setField`: no access semantics, no hooks.
 *
 * @example
 *   const csr = bar1.reg('DMA_CSR');
 *   csr.setBits(HIFN_DMACSR_R_DONE);   // the chip finished a result descriptor
 *   csr.field('R_DONE');               // 1 until software writes it back (W1C)
 */

export type AccessKind = 'ro' | 'rw' | 'w1c' | 'w1s' | 'sc' | 'pulse' | 'rc' | 'wo';
const KINDS: readonly AccessKind[] = ['ro', 'rw', 'w1c', 'w1s', 'sc', 'pulse', 'rc', 'wo'];

export interface FieldSpec {
  name: string;
  /** Bits of the register, in place (e.g. 0x0000ffff). */
  mask: number;
  access: AccessKind;
  doc?: string;
}

/** What a read hook sees. */
export interface RegisterRead<N extends string = string> {
  reg: Register<N>;
  t: number;
  /** Byte lanes read, as a bit mask in register position (0xffffffff for a full 32-bit read). */
  lanes: number;
}

/** What a write hook sees, after the stored value has been updated. */
export interface RegisterWrite<N extends string = string> {
  reg: Register<N>;
  t: number;
  /** The value software wrote, in register position (unwritten lanes are 0). */
  written: number;
  lanes: number;
  /** Stored value before and after. */
  old: number;
  value: number;
  /** Bits of `pulse` fields written as 1 (never stored). */
  pulsed: number;
  /** Bits of `w1c` fields that this write cleared. */
  cleared: number;
}

export interface RegisterSpec<N extends string = string> {
  name: N;
  offset: number;
  /** Bytes: 1, 2 or 4 (default 4). */
  width?: 1 | 2 | 4;
  reset?: number;
  /** Access of bits not covered by a field (default: 'rw' without fields, 'ro' with). */
  access?: AccessKind;
  fields?: readonly FieldSpec[];
  /** Reads return this register instead (same width); writes stay here. */
  readAlias?: N;
  /** Called before a read; a returned number is what software sees (the stored value is kept). */
  onRead?: (e: RegisterRead<N>) => number | void;
  onWrite?: (e: RegisterWrite<N>) => void;
  doc?: string;
}

/** @internal */
export const u32 = (v: number): number => v >>> 0;
/** @internal */
export const WIDTH_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;
/** @internal */
export const hex = (n: number): string => `0x${n.toString(16)}`;

export class Register<N extends string = string> {
  readonly name: N;
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly resetValue: number;
  readonly fields: readonly FieldSpec[];
  readonly spec: RegisterSpec<N>;
  /** Bit masks per access kind (all bits of the register are in exactly one). */
  readonly masks: Readonly<Record<AccessKind, number>>;
  /** @internal */ alias: Register<N> | null = null;
  private v: number;

  constructor(spec: RegisterSpec<N>, file: string) {
    const width = spec.width ?? 4;
    const where = `${file}.${spec.name}`;
    if (width !== 1 && width !== 2 && width !== 4) throw new RangeError(`${where}: width must be 1, 2 or 4, got ${String(width)}`);
    if (!Number.isSafeInteger(spec.offset) || spec.offset < 0 || spec.offset % width !== 0) {
      throw new RangeError(`${where}: offset ${spec.offset} must be a non-negative multiple of the width ${width}`);
    }
    const all = WIDTH_MASK[width];
    const masks: Record<AccessKind, number> = { ro: 0, rw: 0, w1c: 0, w1s: 0, sc: 0, pulse: 0, rc: 0, wo: 0 };
    let covered = 0;
    for (const f of spec.fields ?? []) {
      if (!KINDS.includes(f.access)) throw new RangeError(`${where}.${f.name}: unknown access kind ${String(f.access)}`);
      const m = u32(f.mask);
      if (m === 0 || (m & ~all) !== 0) throw new RangeError(`${where}.${f.name}: mask ${hex(m)} is empty or wider than ${width} bytes`);
      if ((covered & m) !== 0) throw new RangeError(`${where}.${f.name}: mask ${hex(m)} overlaps another field`);
      covered |= m;
      masks[f.access] = u32(masks[f.access] | m);
    }
    const rest = spec.access ?? (spec.fields?.length ? 'ro' : 'rw');
    if (!KINDS.includes(rest)) throw new RangeError(`${where}: unknown access kind ${String(rest)}`);
    masks[rest] = u32(masks[rest] | (all & ~covered));
    const reset = spec.reset ?? 0;
    if (!Number.isInteger(reset) || u32(reset) !== reset || (reset & ~all) !== 0) throw new RangeError(`${where}: reset ${reset} does not fit ${width} bytes`);
    this.name = spec.name;
    this.offset = spec.offset;
    this.width = width;
    this.resetValue = reset;
    this.fields = spec.fields ?? [];
    this.spec = spec;
    this.masks = masks;
    this.v = reset;
  }

  /** The stored value (the device's view: no access semantics). */
  get value(): number {
    return this.v;
  }

  /** Device side: store a value (no access semantics, no hooks). */
  set value(v: number) {
    this.v = u32(v & WIDTH_MASK[this.width]);
  }

  setBits(bits: number): void {
    this.value = this.v | bits;
  }

  clearBits(bits: number): void {
    this.value = this.v & ~bits;
  }

  /** A field's value, shifted down. */
  field(name: string): number {
    const m = this.fieldMask(name);
    return (this.v & m) >>> ctz(m);
  }

  /** Device side: store a field's value (shifted up into place). */
  setField(name: string, value: number): void {
    const m = this.fieldMask(name);
    this.value = (this.v & ~m) | ((value << ctz(m)) & m);
  }

  fieldMask(name: string): number {
    const f = this.fields.find((x) => x.name === name);
    if (!f) throw new RangeError(`register ${this.name} has no field ${name}`);
    return u32(f.mask);
  }

  reset(): void {
    this.v = this.resetValue;
  }

  /** @internal A software read of `lanes`. */
  swRead(t: number, lanes: number): number {
    const src = this.alias ?? this;
    const hooked = src.spec.onRead?.({ reg: src, t, lanes });
    const val = typeof hooked === 'number' ? u32(hooked) : src.v;
    const m = src.masks;
    if (m.rc & lanes) src.v = u32(src.v & ~(m.rc & lanes));
    return u32(val & ~(m.wo | m.pulse));
  }

  /** @internal A software write of `written` (in register position) to `lanes`. */
  swWrite(t: number, written: number, lanes: number): void {
    const m = this.masks;
    const old = this.v;
    const w = u32(written & lanes);
    const plain = (m.rw | m.wo) & lanes;
    let n = (old & ~plain) | (w & plain);
    const cleared = u32(old & w & m.w1c);
    n &= ~cleared;
    n |= w & (m.w1s | m.sc);
    this.v = u32(n & WIDTH_MASK[this.width]);
    this.spec.onWrite?.({ reg: this, t, written: w, lanes, old, value: this.v, pulsed: u32(w & m.pulse), cleared });
  }
}

function ctz(m: number): number {
  return 31 - Math.clz32(m & -m);
}

