/**
 * The structures of crypto(9) (sys/opencrypto/cryptodev.h): cryptoini, cryptodesc, cryptop,
 * crparam and cryptkop, with their field names kept.
 *
 * Deliberate differences, all additive: session ids are `bigint` (FreeBSD's uint64_t); a request
 * carries `crp_reqid`, an id the simulator assigns for tracing; byte fields are Uint8Arrays.
 */
import type { mbuf } from '../sim/mbuf.js';
import type { uio } from '../sim/uio.js';
import { CRK_MAXPARAM, EALG_MAX_BLOCK_LEN } from './constants.js';

/** Session initialisation (one link per transform). */
export class cryptoini {
  cri_alg = 0;
  /** Key length in bits. */
  cri_klen = 0;
  /** Digest bytes to output; 0 = the whole digest. */
  cri_mlen = 0;
  cri_key: Uint8Array | null = null;
  cri_iv: Uint8Array = new Uint8Array(EALG_MAX_BLOCK_LEN);
  cri_next: cryptoini | null = null;

  constructor(init: Partial<Pick<cryptoini, 'cri_alg' | 'cri_klen' | 'cri_mlen' | 'cri_key' | 'cri_next'>> = {}) {
    Object.assign(this, init);
  }
}

/** One transform of a request. */
export class cryptodesc {
  crd_skip = 0;
  crd_len = 0;
  crd_inject = 0;
  crd_flags = 0;
  readonly CRD_INI = new cryptoini();
  crd_next: cryptodesc | null = null;

  get crd_iv(): Uint8Array {
    return this.CRD_INI.cri_iv;
  }
  set crd_iv(v: Uint8Array) {
    this.CRD_INI.cri_iv = v;
  }
  get crd_key(): Uint8Array | null {
    return this.CRD_INI.cri_key;
  }
  set crd_key(v: Uint8Array | null) {
    this.CRD_INI.cri_key = v;
  }
  get crd_alg(): number {
    return this.CRD_INI.cri_alg;
  }
  set crd_alg(v: number) {
    this.CRD_INI.cri_alg = v;
  }
  get crd_klen(): number {
    return this.CRD_INI.cri_klen;
  }
  set crd_klen(v: number) {
    this.CRD_INI.cri_klen = v;
  }
}

/** What `crp_buf` may be: a contiguous buffer, an mbuf chain (CRYPTO_F_IMBUF) or a uio (CRYPTO_F_IOV). */
export type crypto_buf = Uint8Array | mbuf | uio;

/** A symmetric request. */
export class cryptop {
  crp_sid = 0n;
  crp_ilen = 0;
  crp_olen = 0;
  crp_etype = 0;
  crp_flags = 0;
  crp_buf: crypto_buf | null = null;
  crp_opaque: unknown = null;
  crp_desc: cryptodesc | null = null;
  crp_callback: ((crp: cryptop) => number | void) | null = null;
  crp_mac: Uint8Array | null = null;
  /** debug.crypto_timing stamp (ps), advanced at each stage. */
  crp_tstamp = 0;
  /** ocfsim: request id for traces and violation reports (assigned at first dispatch). */
  crp_reqid = 0;
}

/** A big number as crypto(9) passes it: little-endian bytes and a bit count. */
export class crparam {
  crp_p: Uint8Array = new Uint8Array(0);
  crp_nbits = 0;

  /** Bytes used by the number: (crp_nbits + 7) / 8. */
  get byteLength(): number {
    return (this.crp_nbits + 7) >> 3;
  }
}

/** A keying (public-key) operation. */
export class cryptkop {
  krp_op = 0;
  krp_status = 0;
  krp_iparams = 0;
  krp_oparams = 0;
  /** Selection input: a driver index, or CRYPTOCAP_F_HARDWARE / _SOFTWARE flags. */
  krp_crid = 0;
  /** The driver actually used, set by the framework. */
  krp_hid = 0;
  readonly krp_param: crparam[] = Array.from({ length: CRK_MAXPARAM }, () => new crparam());
  krp_callback: ((krp: cryptkop) => number | void) | null = null;
  /** ocfsim: request id for traces. */
  krp_reqid = 0;
}

/** A little-endian crparam from a non-negative bigint, sized to `nbits` (default: the number's own). */
export function crparamFromBigInt(v: bigint, nbits?: number): crparam {
  if (v < 0n) throw new RangeError('crparamFromBigInt: value must be >= 0');
  const bits = nbits ?? Math.max(1, v.toString(2).length);
  const p = new crparam();
  p.crp_nbits = bits;
  p.crp_p = new Uint8Array((bits + 7) >> 3);
  if (!writeLittleEndian(v, p.crp_p, p.crp_p.length)) throw new RangeError(`crparamFromBigInt: value needs more than ${bits} bits`);
  return p;
}

/** The value of a crparam: its first (crp_nbits + 7) / 8 little-endian bytes. */
export function crparamToBigInt(p: crparam): bigint {
  const n = Math.min(p.byteLength, p.crp_p.length);
  if (n === 0) return 0n;
  // Through hex: a shift-and-or loop is quadratic, ~30 µs for a 4096-bit parameter.
  let hex = '0x';
  for (let i = n - 1; i >= 0; i--) hex += HEX_BYTE[p.crp_p[i]!];
  return BigInt(hex);
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Stores v >= 0 in out[0, len) little-endian, zero-filling above it; false (out untouched) if v
 * needs more than len bytes.
 */
export function writeLittleEndian(v: bigint, out: Uint8Array, len: number): boolean {
  const hex = v.toString(16);
  const bytes = (hex.length + 1) >> 1;
  if (v < 0n || (v !== 0n && bytes > len)) return false;
  const padded = hex.length & 1 ? `0${hex}` : hex;
  out.fill(0, 0, len);
  if (v === 0n) return true;
  for (let i = 0; i < bytes; i++) out[i] = parseInt(padded.slice(padded.length - 2 * i - 2, padded.length - 2 * i), 16);
  return true;
}
