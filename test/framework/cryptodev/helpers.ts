/**
 * Shared by the /dev/crypto suites: machines, a Fixture view of a Machine (so the framework's fake
 * driver can attach to it), and `TestCard`, a small hardware-flagged driver that really computes
 * AES-CBC, HMAC-SHA2-256 and CRK_MOD_EXP (with node:crypto and BigInt), completing inside process()
 * or after a delay, optionally corrupting one output byte, and detachable under the hot-eject
 * contract. It reads the request through the uio that /dev/crypto builds.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { expect } from 'vitest';
import { Machine, type MachineOptions } from '../../../lab/machine.js';
import { Priority } from '../../../sim/cpu.js';
import { cuio_copyback, cuio_copydata, uio } from '../../../sim/uio.js';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRK_MOD_EXP,
  CRYPTO_AES_CBC,
  CRYPTO_SHA2_256_HMAC,
  CRYPTOCAP_F_HARDWARE,
  EAGAIN,
  EINVAL,
  ENOENT,
} from '../../../framework/constants.js';
import { CRYPTO_SESID2LID, type CryptoDevice, type cryptodev_methods } from '../../../framework/drivers.js';
import { crparamToBigInt, type cryptkop, type cryptoini, type cryptop } from '../../../framework/structs.js';
import { CryptodevError, type CryptodevHandle } from '../../../framework/cryptodev.js';
import type { Fixture } from '../fixture.js';

export const US = 1_000_000;

export function machine(options: MachineOptions & { allowsoft?: number } = {}): Machine {
  const { allowsoft, ...rest } = options;
  const m = new Machine({ seed: 1, memoryBytes: 8 << 20, ...rest });
  if (allowsoft !== undefined) m.sysctl('kern.cryptodevallowsoft', allowsoft);
  return m;
}

/** The framework test fixture's shape over a Machine, for test/framework/fixture.ts's FakeDriver. */
export function fixtureOf(m: Machine): Fixture {
  return {
    engine: m.engine,
    sched: m.scheduler,
    trace: m.trace,
    violations: m.violations,
    sysctl: m.sysctls,
    crypto: m.crypto,
    consumer: (name, body) => m.scheduler.spawn(name, Priority.User, body),
    run: () => m.run(),
  };
}

/** Run `fn` (an ioctlSync) and return the CryptodevError it throws, checking its errno. */
export function expectErrno(fn: () => unknown, errno: number): CryptodevError {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'the ioctl should have failed').toBeInstanceOf(CryptodevError);
  const err = caught as CryptodevError;
  expect(err.errno, err.message).toBe(errno);
  return err;
}

export function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function aesCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array, encrypt: boolean): Uint8Array {
  const name = `aes-${key.length * 8}-cbc`;
  const c = (encrypt ? createCipheriv(name, key, iv) : createDecipheriv(name, key, iv)).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

export function hmac(md: string, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(md, key).update(data).digest());
}

export interface TestCardOptions {
  /** Complete after this many ps (from an engine event, like an interrupt); 0 = inside process(). */
  delayPs?: number;
  /** Flip byte `corrupt` of every cipher output. */
  corrupt?: number;
  algs?: number[];
  kalgs?: number[];
  /**
   * With delayPs: write the result into the buffer at process() time and only complete later, as
   * a card whose output DMA is done but whose completion interrupt is not yet serviced.
   */
  outputFirst?: boolean;
  /** Complete every request with this crp_etype (a broken card); 0 = compute. */
  etype?: number;
  unit?: number;
}

/** A hardware crypto driver that computes real results (see the module comment). */
export class TestCard {
  readonly dev: CryptoDevice;
  hid = -1;
  readonly sessions = new Map<number, Map<number, Uint8Array | null>>();
  readonly pending = new Set<cryptop>();
  processed = 0;
  private nextLid = 1;
  private readonly timers = new Map<cryptop, number>();

  constructor(
    readonly m: Machine,
    readonly options: TestCardOptions = {},
  ) {
    const methods: cryptodev_methods = {
      cryptodev_newsession: (_d, sidp, cri) => this.newsession(sidp, cri),
      cryptodev_freesession: (_d, sid) => (this.sessions.delete(CRYPTO_SESID2LID(sid)) ? 0 : EINVAL),
      cryptodev_process: (_d, crp) => this.process(crp),
      cryptodev_kprocess: (_d, krp) => this.kprocess(krp),
    };
    this.dev = { nameunit: `testcard${options.unit ?? 0}`, name: 'testcard', driver: { methods } };
  }

  attach(): this {
    const c = this.m.crypto;
    this.hid = c.crypto_get_driverid(this.dev, CRYPTOCAP_F_HARDWARE);
    for (const a of this.options.algs ?? [CRYPTO_AES_CBC, CRYPTO_SHA2_256_HMAC]) c.crypto_register(this.hid, a, 0, 0);
    for (const k of this.options.kalgs ?? []) c.crypto_kregister(this.hid, k, 0);
    return this;
  }

  /** The hot-eject contract: unregister first, then complete everything in flight with EAGAIN. */
  eject(): void {
    this.m.crypto.crypto_unregister_all(this.hid);
    for (const crp of [...this.pending]) {
      this.m.engine.cancel(this.timers.get(crp)!);
      this.pending.delete(crp);
      crp.crp_etype = EAGAIN;
      this.m.crypto.crypto_done(crp);
    }
    // Detach frees the softc with its session table; the framework never calls FREESESSION on
    // a tombstone.
    this.sessions.clear();
  }

  private newsession(sidp: { lid: number }, cri: cryptoini): number {
    const s = new Map<number, Uint8Array | null>();
    for (let c: cryptoini | null = cri; c; c = c.cri_next) {
      if (c.cri_alg === CRYPTO_AES_CBC && ![128, 192, 256].includes(c.cri_klen)) return EINVAL;
      s.set(c.cri_alg, c.cri_key ? c.cri_key.slice() : null);
    }
    sidp.lid = this.nextLid++;
    this.sessions.set(sidp.lid, s);
    return 0;
  }

  private process(crp: cryptop): number {
    this.processed++;
    const delay = this.options.delayPs ?? 0;
    if (delay === 0) {
      crp.crp_etype = this.options.etype || this.compute(crp);
      this.m.crypto.crypto_done(crp);
      return 0;
    }
    // By default the result is written back at completion, as a card's DMA out is: an eject
    // before then leaves the buffer untouched.
    const early = this.options.outputFirst ? this.options.etype || this.compute(crp) : undefined;
    this.pending.add(crp);
    this.timers.set(
      crp,
      this.m.engine.schedule(this.m.scheduler.localNow() + delay, () => {
        this.pending.delete(crp);
        crp.crp_etype = early ?? (this.options.etype || this.compute(crp));
        this.m.crypto.crypto_done(crp);
      }),
    );
    return 0;
  }

  private compute(crp: cryptop): number {
    const s = this.sessions.get(CRYPTO_SESID2LID(crp.crp_sid));
    if (!s) return ENOENT;
    if (!(crp.crp_buf instanceof uio)) return EINVAL;
    const u = crp.crp_buf;
    for (let d = crp.crp_desc; d; d = d.crd_next) {
      if (!s.has(d.crd_alg)) return EINVAL;
      const key = s.get(d.crd_alg)!;
      const region = new Uint8Array(d.crd_len);
      cuio_copydata(u, d.crd_skip, d.crd_len, region);
      if (d.crd_alg === CRYPTO_SHA2_256_HMAC) {
        cuio_copyback(u, d.crd_inject, 32, hmac('sha256', key!, region));
        continue;
      }
      if (d.crd_len % 16 !== 0) return EINVAL;
      const encrypt = (d.crd_flags & CRD_F_ENCRYPT) !== 0;
      let iv = new Uint8Array(16);
      if (d.crd_flags & CRD_F_IV_EXPLICIT) iv = d.crd_iv.slice(0, 16);
      else if (encrypt) this.m.prng.stream('testcard.iv').fill(iv);
      else cuio_copydata(u, d.crd_inject, 16, iv);
      if (encrypt && (d.crd_flags & CRD_F_IV_PRESENT) === 0) cuio_copyback(u, d.crd_inject, 16, iv);
      const out = aesCbc(key!, iv, region, encrypt);
      if (this.options.corrupt !== undefined && out.length > this.options.corrupt) out[this.options.corrupt]! ^= 0x01;
      cuio_copyback(u, d.crd_skip, d.crd_len, out);
    }
    return 0;
  }

  private kprocess(krp: cryptkop): number {
    // Numbers over 1024 bits are refused (this card's limit), which also keeps the fuzz fast.
    if (krp.krp_op !== CRK_MOD_EXP || krp.krp_param.some((p) => p.crp_nbits > 1024 || p.crp_p.length < p.byteLength)) krp.krp_status = EINVAL;
    else {
      const [a, e, n] = [0, 1, 2].map((i) => crparamToBigInt(krp.krp_param[i]!));
      if (n! === 0n) krp.krp_status = EINVAL;
      else {
        let r = 1n;
        let b = a! % n!;
        for (let x = e!; x > 0n; x >>= 1n, b = (b * b) % n!) if (x & 1n) r = (r * b) % n!;
        const out = krp.krp_param[3]!.crp_p;
        for (let i = 0; i < out.length; i++, r >>= 8n) out[i] = Number(r & 0xffn);
      }
    }
    this.m.engine.schedule(this.m.scheduler.localNow() + US, () => this.m.crypto.crypto_kdone(krp));
    return 0;
  }
}

/** Close every descriptor given (that is still open) and run the machine until it is idle. */
export function settle(m: Machine, ...fds: CryptodevHandle[]): void {
  for (const fd of fds) if (!fd.closed) fd.close();
  m.run();
}
