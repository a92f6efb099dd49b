/**
 * Descriptor layouts: the fields of a descriptor in host memory, described as data, with the
 * little-endian codec both sides use (the card model on the bytes it fetched by DMA, the driver on
 * its ring memory). A field is some bits of a 16- or 32-bit little-endian word at a byte offset;
 * its value is those bits shifted down (a one-bit flag reads 0 or 1).
 *
 * A layout is pure data and code with no simulator state, so a card's "datasheet" module (shared
 * by model and driver, like regs.ts) can define it. It is not a way for a driver to reach its card.
 *
 * @example
 *   // Hifn descriptor (hw.md §2.4): 8 bytes, `l` then `p`.
 *   const HIFN_DESC = new DescriptorLayout('hifn_desc', 8, {
 *     len: { offset: 0, mask: 0x0000ffff }, valid: { offset: 0, mask: 0x80000000 },
 *     jump: { offset: 0, mask: 0x40000000 }, last: { offset: 0, mask: 0x20000000 },
 *     maskDoneIrq: { offset: 0, mask: 0x02000000 }, p: { offset: 4 },
 *   });
 *   HIFN_DESC.encode({ len: 36, valid: 1, last: 1, p: resbuf }, ring.bytes, 8 * i);
 *   HIFN_DESC.get(bytes, 'valid'); // 1 while the chip owns it
 */

export interface DescriptorFieldSpec {
  /** Byte offset of the little-endian word holding the field (a multiple of `width`). */
  offset: number;
  /** Bytes in the word: 2 or 4 (default 4). */
  width?: 2 | 4;
  /** Bits of the word (default: all of them). */
  mask?: number;
  doc?: string;
}

interface Field {
  name: string;
  offset: number;
  width: 2 | 4;
  mask: number;
  shift: number;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export class DescriptorLayout<F extends string> {
  readonly fieldNames: readonly F[];
  private readonly fields: Record<F, Field>;

  constructor(
    readonly name: string,
    /** Bytes per descriptor. */
    readonly size: number,
    spec: Readonly<Record<F, DescriptorFieldSpec>>,
  ) {
    if (!Number.isInteger(size) || size <= 0 || size % 2 !== 0) throw new RangeError(`${name}: size must be a positive even number of bytes, got ${size}`);
    const fields = {} as Record<F, Field>;
    const names = Object.keys(spec) as F[];
    for (const n of names) {
      const s = spec[n];
      const width = s.width ?? 4;
      const full = width === 4 ? 0xffffffff : 0xffff;
      const mask = (s.mask ?? full) >>> 0;
      if (width !== 2 && width !== 4) throw new RangeError(`${name}.${n}: width must be 2 or 4`);
      if (!Number.isInteger(s.offset) || s.offset < 0 || s.offset % width !== 0 || s.offset + width > size) {
        throw new RangeError(`${name}.${n}: offset ${s.offset} must be a multiple of ${width} inside the ${size}-byte descriptor`);
      }
      if (mask === 0 || (mask & ~full) !== 0) throw new RangeError(`${name}.${n}: mask ${hex(mask)} does not fit a ${width}-byte word`);
      fields[n] = { name: n, offset: s.offset, width, mask, shift: 31 - Math.clz32(mask & -mask) };
    }
    this.fields = fields;
    this.fieldNames = names;
  }

  /** Value of one field of the descriptor at `bytes[at..]`. */
  get(bytes: Uint8Array, field: F, at = 0): number {
    const f = this.fields[field];
    return ((readWord(bytes, at + f.offset, f.width) & f.mask) >>> 0) >>> f.shift;
  }

  /** Set one field in place (read-modify-write of its word). */
  set(bytes: Uint8Array, field: F, value: number, at = 0): void {
    const f = this.fields[field];
    const w = readWord(bytes, at + f.offset, f.width);
    writeWord(bytes, at + f.offset, f.width, (w & ~f.mask) | ((value << f.shift) & f.mask));
  }

  /** Every field of the descriptor at `bytes[at..]`. */
  decode(bytes: Uint8Array, at = 0): Record<F, number> {
    if (at < 0 || at + this.size > bytes.length) throw new RangeError(`${this.name}: decode at ${at} needs ${this.size} bytes, have ${bytes.length - at}`);
    const out = {} as Record<F, number>;
    for (const n of this.fieldNames) out[n] = this.get(bytes, n, at);
    return out;
  }

  /**
   * A whole descriptor from field values (absent fields and bits no field covers are 0), written
   * to `out[at..]` (default: a fresh array). Returns `out`.
   */
  encode(values: Partial<Record<F, number>>, out: Uint8Array = new Uint8Array(this.size), at = 0): Uint8Array {
    if (at < 0 || at + this.size > out.length) throw new RangeError(`${this.name}: encode at ${at} needs ${this.size} bytes, have ${out.length - at}`);
    out.fill(0, at, at + this.size);
    for (const n of this.fieldNames) {
      const v = values[n];
      if (v !== undefined) this.set(out, n, v, at);
    }
    return out;
  }

  /** The smallest byte span [offset, offset + len) holding the words of `fields` (for a status write-back). */
  span(fields: readonly F[]): { offset: number; len: number } {
    if (fields.length === 0) return { offset: 0, len: this.size };
    let lo = Infinity;
    let hi = 0;
    for (const n of fields) {
      const f = this.fields[n];
      lo = Math.min(lo, f.offset);
      hi = Math.max(hi, f.offset + f.width);
    }
    return { offset: lo, len: hi - lo };
  }

  /** The layout as a table, for docs. */
  describe(): string {
    const lines = [`${this.name} (${this.size} bytes, little-endian)`];
    for (const n of this.fieldNames) {
      const f = this.fields[n];
      lines.push(`  +${String(f.offset).padEnd(3)} ${n.padEnd(14)} ${hex(f.mask).padStart(10)} (${f.width * 8}-bit word)`);
    }
    return lines.join('\n');
  }
}

function readWord(b: Uint8Array, at: number, width: 2 | 4): number {
  if (at + width > b.length) throw new RangeError(`descriptor word at ${at} lies past the end of a ${b.length}-byte buffer`);
  const lo = b[at]! | (b[at + 1]! << 8);
  return width === 2 ? lo : (lo | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function writeWord(b: Uint8Array, at: number, width: 2 | 4, v: number): void {
  if (at + width > b.length) throw new RangeError(`descriptor word at ${at} lies past the end of a ${b.length}-byte buffer`);
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  if (width === 4) {
    b[at + 2] = (v >>> 16) & 0xff;
    b[at + 3] = (v >>> 24) & 0xff;
  }
}
