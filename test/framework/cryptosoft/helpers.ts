/**
 * Shared by the cryptosoft suites: machines for each backend, request buffers in every layout
 * (contiguous, mbuf chains with blocks straddling segments, zero-length segments and crd_skip past
 * the first segments, uios), sessions, and a dispatch that completes synchronously (CRYPTO_F_CBIMM
 * from outside any thread, where nothing is charged).
 */
import { expect } from 'vitest';
import { Machine } from '../../../lab/machine.js';
import { CRYPTO_F_CBIMM, CRYPTO_F_IMBUF, CRYPTO_F_IOV, CRYPTOCAP_F_SOFTWARE } from '../../../framework/constants.js';
import { cryptoini, type crypto_buf, type cryptodesc } from '../../../framework/structs.js';
import type { BackendName } from '../../../framework/xform/backend.js';
import { m_freem, m_fromBytes, m_toBytes, type mbuf } from '../../../sim/mbuf.js';
import { M_WAITOK } from '../../../sim/memory.js';
import { uio_fromBytes, type uio } from '../../../sim/uio.js';

export { hex, toHex, loadVectors } from '../xform/backends.js';

export const BACKEND_NAMES: readonly BackendName[] = ['noble', 'openssl'];

export function machine(backend: BackendName, options: { seed?: number; trace?: boolean; cpus?: number } = {}): Machine {
  return new Machine({ seed: options.seed ?? 1, cryptoBackend: backend, trace: options.trace ?? false, cpus: options.cpus ?? 2 });
}

/** A buffer layout: how the bytes of a request are laid out in the machine. */
export interface Layout {
  readonly name: string;
  readonly kind: 'contig' | 'mbuf' | 'uio';
  /** Segment sizes (mbuf) or iovec sizes (uio); clipped to the buffer's length. */
  readonly segments?: readonly number[];
  /** Contiguous only: a view of a malloc'd block in machine memory (else a host array). */
  readonly inMemory?: boolean;
}

/** Every layout: prefix PREFIX bytes before the region, so crd_skip = PREFIX. */
export const LAYOUTS: readonly Layout[] = [
  { name: 'contiguous', kind: 'contig' },
  { name: 'contiguous in machine memory', kind: 'contig', inMemory: true },
  { name: 'mbuf chain (clusters)', kind: 'mbuf' },
  // Odd sizes: every cipher block straddles segments; zero-length mbufs in between.
  { name: 'mbuf chain, blocks straddling segments', kind: 'mbuf', segments: [1, 0, 7, 3, 0, 13, 2, 5, 0, 11, 9, 0, 17] },
  // The first four segments (8 + 0 + 10 + 6 = PREFIX) hold only the prefix: crd_skip lies past them.
  { name: 'mbuf chain, crd_skip past the first segments', kind: 'mbuf', segments: [8, 0, 10, 6, 0, 3, 5, 7, 1] },
  { name: 'uio', kind: 'uio', segments: [5, 0, 19, 3, 0, 9, 1, 14] },
];

/** Bytes before the processed region in every test buffer. */
export const PREFIX = 24;

function clip(segments: readonly number[] | undefined, total: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (const s of segments ?? []) {
    if (sum + s > total) break;
    out.push(s);
    sum += s;
  }
  return out;
}

/** A request buffer in the machine, with its crp_flags, read-back and release. */
export interface TestBuffer {
  readonly flags: number;
  readonly buf: crypto_buf;
  bytes(): Uint8Array;
  free(): void;
}

export function makeBuffer(m: Machine, layout: Layout, bytes: Uint8Array): TestBuffer {
  switch (layout.kind) {
    case 'contig': {
      if (!layout.inMemory) {
        const b = bytes.slice();
        return { flags: 0, buf: b, bytes: () => b.slice(), free: () => {} };
      }
      const block = m.mem.malloc(Math.max(1, bytes.length), M_WAITOK, 'test')!;
      const view = block.bytes.subarray(0, bytes.length);
      view.set(bytes);
      return { flags: 0, buf: view, bytes: () => view.slice(), free: () => m.mem.free(block) };
    }
    case 'mbuf': {
      const chain = m_fromBytes(m.mem, bytes, { segments: clip(layout.segments, bytes.length) });
      return { flags: CRYPTO_F_IMBUF, buf: chain, bytes: () => m_toBytes(chain), free: () => m_freem(chain) };
    }
    case 'uio': {
      const { uio: u, free } = uio_fromBytes(m.mem, bytes, clip(layout.segments, bytes.length));
      return { flags: CRYPTO_F_IOV, buf: u, bytes: () => uioBytes(u), free };
    }
  }
}

function uioBytes(u: uio): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < u.uio_iovcnt; i++) {
    const iov = u.uio_iov[i]!;
    parts.push(u.uio_mem.bytes.slice(iov.iov_base, iov.iov_base + iov.iov_len));
  }
  return concat(...parts);
}

/** The chain behind a TestBuffer (mbuf layouts only). */
export function chainOf(b: TestBuffer): mbuf {
  return b.buf as mbuf;
}

export interface IniSpec {
  alg: number;
  key?: Uint8Array | null;
  /** Key length in bits (default: 8 x key length). */
  klen?: number;
  mlen?: number;
}

export function cri(...specs: IniSpec[]): cryptoini {
  let head: cryptoini | null = null;
  for (let i = specs.length - 1; i >= 0; i--) {
    const s = specs[i]!;
    head = new cryptoini({ cri_alg: s.alg, cri_key: s.key ?? null, cri_klen: s.klen ?? (s.key ? s.key.length * 8 : 0), cri_mlen: s.mlen ?? 0, cri_next: head });
  }
  return head!;
}

/** A cryptosoft session; fails the test unless crypto_newsession succeeds. */
export function session(m: Machine, ...specs: IniSpec[]): bigint {
  const { error, sid } = m.crypto.crypto_newsession(cri(...specs), CRYPTOCAP_F_SOFTWARE);
  expect(error).toBe(0);
  return sid;
}

/** crypto_newsession's error for these specs (0 = created; the session is freed again). */
export function newsessionError(m: Machine, ...specs: IniSpec[]): number {
  const { error, sid } = m.crypto.crypto_newsession(cri(...specs), CRYPTOCAP_F_SOFTWARE);
  if (error === 0) m.crypto.crypto_freesession(sid);
  return error;
}

export interface DescSpec {
  alg: number;
  skip: number;
  len: number;
  inject?: number;
  flags?: number;
  iv?: Uint8Array;
  key?: Uint8Array;
  klen?: number;
}

export interface Outcome {
  etype: number;
  olen: number;
  calls: number;
}

/**
 * Dispatch one request with CRYPTO_F_CBIMM from outside any thread: cryptosoft completes it
 * inside crypto_dispatch, so the callback has run when this returns.
 */
export function dispatch(m: Machine, sid: bigint, buffer: TestBuffer, descs: DescSpec[], extraFlags = 0): Outcome {
  const crp = m.crypto.crypto_getreq(descs.length)!;
  let d: cryptodesc | null = crp.crp_desc;
  for (const s of descs) {
    fillDesc(d!, s);
    d = d!.crd_next;
  }
  crp.crp_sid = sid;
  crp.crp_flags = buffer.flags | CRYPTO_F_CBIMM | extraFlags;
  crp.crp_buf = buffer.buf;
  const out: Outcome = { etype: -100, olen: -1, calls: 0 };
  crp.crp_callback = (c) => {
    out.calls++;
    out.etype = c.crp_etype;
    out.olen = c.crp_olen;
  };
  expect(m.crypto.crypto_dispatch(crp)).toBe(0);
  expect(out.calls).toBe(1);
  return out;
}

export function fillDesc(d: cryptodesc, s: DescSpec): void {
  d.crd_alg = s.alg;
  d.crd_skip = s.skip;
  d.crd_len = s.len;
  d.crd_inject = s.inject ?? 0;
  d.crd_flags = s.flags ?? 0;
  if (s.iv) {
    const iv = new Uint8Array(16);
    iv.set(s.iv);
    d.crd_iv = iv;
  }
  if (s.key) {
    d.crd_key = s.key;
    d.crd_klen = s.klen ?? s.key.length * 8;
  } else if (s.klen !== undefined) {
    d.crd_klen = s.klen;
  }
}

/** Deterministic filler bytes (not from any PRNG the machine uses). */
export function filler(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** prefix ‖ body ‖ suffix, with the prefix and suffix from `filler`. */
export function framed(body: Uint8Array, suffix = 8): Uint8Array {
  const out = new Uint8Array(PREFIX + body.length + suffix);
  out.set(filler(PREFIX, 11));
  out.set(body, PREFIX);
  out.set(filler(suffix, 13), PREFIX + body.length);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
