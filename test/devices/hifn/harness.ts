/**
 * Shared test rig for the Hifn model and driver: a Machine (with cryptosoft) carrying hifn cards,
 * request builders for the three buffer kinds, and the software reference results computed with
 * framework/xform.
 */
import { Machine } from '../../../lab/machine.js';
import { Priority, type KThread, type Wait } from '../../../sim/cpu.js';
import { M_WAITOK } from '../../../sim/memory.js';
import { m_fromBytes, m_toBytes, type mbuf } from '../../../sim/mbuf.js';
import { uio_fromBytes, type uio } from '../../../sim/uio.js';
import type { Device } from '../../../sim/newbus.js';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_ARC4,
  CRYPTO_DES_CBC,
  CRYPTO_F_IMBUF,
  CRYPTO_F_IOV,
  CRYPTO_MD5,
  CRYPTO_MD5_HMAC,
  CRYPTO_SHA1,
  CRYPTO_SHA1_HMAC,
} from '../../../framework/constants.js';
import { cryptoini, type cryptop } from '../../../framework/structs.js';
import { createBackend } from '../../../framework/xform/backend.js';
import { HifnModel, hifnDriver, type HifnDriverOptions, type HifnModelOptions, type HifnPartName, type HifnSoftc } from '../../../devices/hifn/index.js';

export const US = 1_000_000;
export const MS = 1_000_000_000;
export const backend = createBackend({ prefer: 'noble' });

export interface Rig {
  m: Machine;
  cards: HifnModel[];
  devs: Device<HifnSoftc>[];
}

export interface BootOptions {
  parts?: HifnPartName[];
  seed?: number;
  trace?: boolean;
  driver?: Partial<Omit<HifnDriverOptions, 'crypto'>>;
  model?: Partial<HifnModelOptions>;
  /** Put the cards on the CardBus bridge (default) or straight on the PCI bus. */
  hotplug?: boolean;
}

/** A machine with the hifn driver and one card per part, attached. */
export function boot(o: BootOptions = {}): Rig {
  const m = new Machine({ seed: o.seed ?? 1, trace: o.trace ?? false, slots: Math.max(2, o.parts?.length ?? 1), cryptoBackend: 'noble' });
  m.bus.addDriver(hifnDriver({ crypto: m.crypto, prng: m.prng.stream('hifn.iv'), ...o.driver }));
  const parts = o.parts ?? ['7751'];
  const cards = parts.map((part, i) => new HifnModel({ part, trace: m.trace, prng: m.prng.stream(`hifn.card${i}`), backend, ...o.model }));
  cards.forEach((c, i) => (o.hotplug === false ? m.bus.addCard(c, 8 + i) : m.cardbus.insert(i, c)));
  m.runUntil(m.now + 200 * MS);
  const devs = cards.map((_, i) => m.tree.find(`hifn${i}`) as Device<HifnSoftc> | undefined);
  if (devs.some((d) => !d)) throw new Error(`hifn did not attach:\n${m.console.map((l) => l.text).join('\n')}`);
  return { m, cards, devs: devs as Device<HifnSoftc>[] };
}

export type BufKind = 'mbuf' | 'uio' | 'contig';

/** A request buffer holding `data` in simulated memory, and how to read it back. */
export function makeBuffer(m: Machine, kind: BufKind, data: Uint8Array, layout?: number[]): { buf: mbuf | uio | Uint8Array; flags: number; read(crp: cryptop): Uint8Array; free(): void } {
  if (kind === 'mbuf') {
    const chain = m_fromBytes(m.mem, data, layout ? { segments: layout } : {});
    return { buf: chain, flags: CRYPTO_F_IMBUF, read: (crp) => m_toBytes(crp.crp_buf as mbuf), free: () => {} };
  }
  if (kind === 'uio') {
    const u = uio_fromBytes(m.mem, data, layout ?? []);
    return { buf: u.uio, flags: CRYPTO_F_IOV, read: () => {
      const out = new Uint8Array(data.length);
      let at = 0;
      for (const iov of u.uio.uio_iov) {
        if (iov.iov_len === 0) continue;
        out.set(m.mem.cpuRead(iov.iov_base, iov.iov_len), at);
        at += iov.iov_len;
      }
      return out;
    }, free: () => u.free() };
  }
  const block = m.mem.malloc(data.length, M_WAITOK, 'test')!;
  block.bytes.set(data);
  return { buf: block.bytes.subarray(0, data.length), flags: 0, read: () => m.mem.cpuRead(block.paddr, data.length), free: () => m.mem.free(block) };
}

export interface AlgCase {
  name: string;
  cipher?: number;
  mac?: number;
  klen?: number;
  mlen?: number;
}

export const CIPHERS: Record<number, { key: number; block: number; iv: number }> = {
  [CRYPTO_DES_CBC]: { key: 8, block: 8, iv: 8 },
  [CRYPTO_3DES_CBC]: { key: 24, block: 8, iv: 8 },
  [CRYPTO_AES_CBC]: { key: 16, block: 16, iv: 16 },
  [CRYPTO_ARC4]: { key: 16, block: 1, iv: 0 },
};
export const MACS: Record<number, { key: number; full: number }> = {
  [CRYPTO_MD5]: { key: 0, full: 16 },
  [CRYPTO_SHA1]: { key: 0, full: 20 },
  [CRYPTO_MD5_HMAC]: { key: 16, full: 16 },
  [CRYPTO_SHA1_HMAC]: { key: 20, full: 20 },
};

/** Session chain for a case: encrypt-then-MAC order (the driver also accepts the reverse for decrypt). */
export function sessionFor(c: AlgCase, ckey: Uint8Array, mkey: Uint8Array): cryptoini {
  const links: cryptoini[] = [];
  if (c.cipher) links.push(new cryptoini({ cri_alg: c.cipher, cri_klen: ckey.length * 8, cri_key: ckey }));
  if (c.mac) links.push(new cryptoini({ cri_alg: c.mac, cri_klen: mkey.length * 8, cri_key: mkey, cri_mlen: c.mlen ?? 0 }));
  for (let i = 0; i + 1 < links.length; i++) links[i]!.cri_next = links[i + 1]!;
  return links[0]!;
}

export interface Layout {
  /** Bytes before the cipher region (an ESP header: the MAC covers it, the cipher does not). */
  hdr: number;
  payload: number;
  /** MAC bytes at the end. */
  tag: number;
}

/**
 * Fill a request for `c` over a buffer laid out [hdr | payload | tag]: encrypt payload with an
 * explicit IV, MAC over hdr + payload, MAC written into tag.
 */
export function fillRequest(crp: cryptop, c: AlgCase, L: Layout, ckey: Uint8Array, mkey: Uint8Array, iv: Uint8Array, encrypt = true): void {
  const cd = c.cipher ? { skip: L.hdr, len: L.payload } : null;
  const md = c.mac ? { skip: 0, len: L.hdr + L.payload, inject: L.hdr + L.payload } : null;
  let d = crp.crp_desc!;
  const order: ('c' | 'm')[] = encrypt ? ['c', 'm'] : ['m', 'c'];
  for (const which of order) {
    if (which === 'c' && cd) {
      d.crd_alg = c.cipher!;
      d.crd_skip = cd.skip;
      d.crd_len = cd.len;
      d.crd_key = ckey;
      d.crd_klen = ckey.length * 8;
      d.crd_flags = (encrypt ? CRD_F_ENCRYPT : 0) | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT;
      d.crd_iv = iv.slice();
      d.crd_inject = 0;
      if (d.crd_next) d = d.crd_next;
    } else if (which === 'm' && md) {
      d.crd_alg = c.mac!;
      d.crd_skip = md.skip;
      d.crd_len = md.len;
      d.crd_key = mkey;
      d.crd_klen = mkey.length * 8;
      d.crd_inject = md.inject;
      d.CRD_INI.cri_mlen = c.mlen ?? 0; // what a migrated session is rebuilt from
      if (d.crd_next) d = d.crd_next;
    }
  }
}

/** What software says the buffer must look like after the request. */
export function expected(c: AlgCase, L: Layout, input: Uint8Array, ckey: Uint8Array, mkey: Uint8Array, iv: Uint8Array, encrypt = true): Uint8Array {
  const out = input.slice();
  const region = out.subarray(L.hdr, L.hdr + L.payload);
  const macOver = (): Uint8Array => {
    const data = out.subarray(0, L.hdr + L.payload);
    const m = c.mac!;
    const full = m === CRYPTO_MD5 ? backend.hash('md5', data) : m === CRYPTO_SHA1 ? backend.hash('sha1', data) : backend.hmac(m as 6 | 7, mkey, data);
    return full.subarray(0, c.mlen || MACS[m]!.full);
  };
  let tag: Uint8Array | null = null;
  if (!encrypt && c.mac) tag = macOver().slice();
  if (c.cipher === CRYPTO_ARC4) backend.arc4(ckey, region);
  else if (c.cipher) {
    if (encrypt) backend.cbcEncrypt(c.cipher as 1 | 2 | 11, ckey, iv, region);
    else backend.cbcDecrypt(c.cipher as 1 | 2 | 11, ckey, iv, region);
  }
  if (encrypt && c.mac) tag = macOver().slice();
  if (tag) out.set(tag, L.hdr + L.payload);
  return out;
}

/** Run `body` as a kernel thread of the machine and run the machine until idle. */
export function consumer(m: Machine, body: (td: KThread) => Generator<Wait, void, number>, name = 'consumer'): void {
  m.scheduler.spawn(name, Priority.User, body);
}

/** Dispatch `crp` from a thread and sleep until its callback ran. */
export function* dispatchAndWait(m: Machine, td: KThread, crp: cryptop): Generator<Wait, number, number> {
  let done = false;
  const chan = {};
  crp.crp_callback = () => {
    done = true;
    m.scheduler.wakeup(chan);
  };
  m.crypto.crypto_dispatch(crp);
  while (!done) yield td.msleep(chan, 'hifnwait');
  return crp.crp_etype;
}
