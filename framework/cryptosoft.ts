/**
 * cryptosoft: the software crypto driver (sys/opencrypto/cryptosoft.c, "swcr"; reference/ocf.md
 * §6), a pseudo-device `cryptosoft0` registered with CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC on
 * every machine. It completes every request inside its process() call (a SYNC driver), charging
 * the simulated CPU time of the work from a cost table (swcosts.ts) to the thread that called it.
 *
 * Algorithms: all 28 of crypto(9). Difference: FreeBSD's cryptosoft registered plain MD5 and SHA1
 * but refused their sessions, and had no ARC4. Keying operations: all five CRK_* ops with BigInt
 * (cryptosoft-keying.ts). Difference: FreeBSD's cryptosoft had none.
 *
 * The request path follows swcr_process: NULL descriptors or buffer → EINVAL; an unknown session
 * → ENOENT; then every descriptor in crp_desc order (encrypt-then-MAC puts the cipher first,
 * verify-then-decrypt the MAC first) is dispatched by its algorithm: ciphers to swcr_encdec,
 * NULL-CBC to nothing, authenticators to swcr_authcompute, any GCM/GMAC algorithm to swcr_authenc
 * for the whole request (which refuses, EINVAL, any other algorithm among the descriptors; one
 * placed before the GCM pair has already run), DEFLATE to swcr_compdec. The first error stops the
 * walk (earlier descriptors' effects remain) and lands in crp_etype; crypto_done is always called
 * and process returns 0.
 *
 * Where the pieces live: sessions and key schedules in cryptosoft-session.ts, ciphers in
 * cryptosoft-cipher.ts, authenticators in cryptosoft-auth.ts, GCM/GMAC in cryptosoft-aead.ts,
 * DEFLATE in cryptosoft-comp.ts, keying ops in cryptosoft-keying.ts, the shared gather/scatter
 * and charging in cryptosoft-context.ts.
 *
 * Determinism: IVs (arc4rand) come from the machine PRNG's "cryptosoft.iv" stream and DSA nonces
 * from "cryptosoft.dsa"; simulated time comes from the cost table only, so the timeline is the
 * same whichever backend (OpenSSL or pure JS) computed the bytes.
 *
 * @example
 *   // A Machine attaches one as cryptosoft0 (driver id 0); a bare framework needs its own:
 *   const swcr = new Cryptosoft({ crypto, scheduler, prng, mem });
 *   swcr.attach();                       // "crypto: assign cryptosoft0 driver id 0, flags 0x6000000"
 *   crypto.crypto_newsession(cri, CRYPTOCAP_F_SOFTWARE);
 */
import {
  CRK_ALGORITHM_MAX,
  CRYPTO_ALGORITHM_MAX,
  CRYPTO_ALGORITHM_MIN,
  CRYPTOCAP_F_SOFTWARE,
  CRYPTOCAP_F_SYNC,
  EINVAL,
  ENOENT,
  ENOMEM,
  errnoName,
} from './constants.js';
import type { CryptoFramework } from './crypto.js';
import { crypto_bufcheck } from './criov.js';
import { swcr_authenc } from './cryptosoft-aead.js';
import { swcr_authcompute } from './cryptosoft-auth.js';
import { swcr_encdec } from './cryptosoft-cipher.js';
import { swcr_compdec } from './cryptosoft-comp.js';
import { SwcrContext, type SwcrBuffer } from './cryptosoft-context.js';
import { swcr_kprocess, type KeyingContext } from './cryptosoft-keying.js';
import { SWCR_ALGS, SwcrSessionTable, swcr_find, swcr_freesession, swcr_newsession, type swcr_data } from './cryptosoft-session.js';
import { CRYPTO_SESID2LID, type CryptoDevice, type cryptodev_methods } from './drivers.js';
import type { cryptkop, cryptodesc, cryptoini, cryptop } from './structs.js';
import { AMD64_2015_SWCOSTS, type SoftwareCryptoCosts } from './swcosts.js';
import { createBackend, type CryptoBackend } from './xform/backend.js';
import { DeflateError } from './xform/deflate.js';
import type { Scheduler } from '../sim/cpu.js';
import { KernelError } from '../sim/errno.js';
import type { PhysMemory } from '../sim/memory.js';
import type { Prng } from '../sim/prng.js';
import type { TraceRecorder } from '../sim/trace.js';

export interface CryptosoftOptions {
  crypto: CryptoFramework;
  scheduler: Scheduler;
  /** The machine's PRNG root; cryptosoft draws from its "cryptosoft.iv" and "cryptosoft.dsa" streams. */
  prng: Prng;
  /** Default: createBackend() (OpenSSL where available, OCFSIM_CRYPTO_BACKEND to force). */
  backend?: CryptoBackend;
  /** Default: AMD64_2015_SWCOSTS. */
  costs?: SoftwareCryptoCosts;
  /** The machine's memory, so CPU accesses to contiguous buffers inside it are reported. */
  mem?: PhysMemory;
  trace?: TraceRecorder;
  /** Unit number (default 0: cryptosoft0). */
  unit?: number;
}

export class Cryptosoft implements CryptoDevice {
  readonly name = 'cryptosoft';
  readonly nameunit: string;
  readonly driver: { readonly methods: cryptodev_methods };
  /** The driver id crypto_get_driverid gave (swcr_id), -1 before attach. */
  hid = -1;
  /** The swcr_sessions array. */
  readonly sessions = new SwcrSessionTable();
  readonly backend: CryptoBackend;
  readonly costs: SoftwareCryptoCosts;
  private readonly crypto: CryptoFramework;
  private readonly sched: Scheduler;
  private readonly trace: TraceRecorder | undefined;
  private readonly ctx: SwcrContext;
  private readonly kctx: KeyingContext;
  /** Cycles charged during the current keying operation (for the trace). */
  private kcycles = 0;

  constructor(options: CryptosoftOptions) {
    this.crypto = options.crypto;
    this.sched = options.scheduler;
    this.trace = options.trace;
    this.backend = options.backend ?? createBackend();
    this.costs = options.costs ?? AMD64_2015_SWCOSTS;
    this.nameunit = `cryptosoft${options.unit ?? 0}`;
    const charge = (cycles: number): void => this.sched.current?.chargeCycles(cycles);
    this.ctx = new SwcrContext(this.backend, this.costs, charge, options.prng.stream('cryptosoft.iv'), options.mem);
    this.kctx = {
      dsaPrng: options.prng.stream('cryptosoft.dsa'),
      modPow: this.backend.modPow,
      bignum: this.costs.bignum,
      charge: (cycles) => {
        this.kcycles += cycles;
        charge(cycles);
      },
    };
    // The kobj method table of the "cryptosoft" driver (cryptosoft.c's swcr_methods).
    this.driver = {
      methods: {
        cryptodev_newsession: (_dev, sidp, cri) => this.swcr_newsession(sidp, cri),
        cryptodev_freesession: (_dev, sid) => this.swcr_freesession(sid),
        cryptodev_process: (_dev, crp, hint) => this.swcr_process(crp, hint),
        cryptodev_kprocess: (_dev, krp, hint) => this.swcr_kprocess(krp, hint),
      },
    };
  }

  /**
   * swcr_attach: a SOFTWARE | SYNC driver id, then every symmetric algorithm and every keying
   * operation. Returns 0, or ENOMEM when no driver id was given (FreeBSD: "cannot initialize!").
   */
  attach(): number {
    this.hid = this.crypto.crypto_get_driverid(this, CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC);
    if (this.hid < 0) return ENOMEM;
    for (let alg = CRYPTO_ALGORITHM_MIN; alg <= CRYPTO_ALGORITHM_MAX; alg++) {
      if (SWCR_ALGS[alg] !== undefined) this.crypto.crypto_register(this.hid, alg, 0, 0);
    }
    for (let kalg = 0; kalg <= CRK_ALGORITHM_MAX; kalg++) this.crypto.crypto_kregister(this.hid, kalg, 0);
    return 0;
  }

  /** swcr_detach: withdraw from the framework (live sessions become a tombstone and migrate). */
  detach(): number {
    if (this.hid < 0) return 0;
    const err = this.crypto.crypto_unregister_all(this.hid);
    this.hid = -1;
    return err;
  }

  /** swcr_newsession: the session's lid goes to `sidp.lid`. */
  swcr_newsession(sidp: { lid: number }, cri: cryptoini): number {
    this.ctx.charge(this.costs.newsession);
    const { error, lid, data } = swcr_newsession(this.sessions, this.backend, cri);
    if (error !== 0) return error;
    for (const sw of data) this.ctx.charge(this.costs.alg[sw.sw_alg]?.keySetup ?? 0);
    sidp.lid = lid;
    return 0;
  }

  /** swcr_freesession: wipes the session's key material. */
  swcr_freesession(sid: bigint): number {
    this.ctx.charge(this.costs.freesession);
    return swcr_freesession(this.sessions, CRYPTO_SESID2LID(sid));
  }

  /** swcr_process: run every descriptor, set crp_etype, crypto_done; always returns 0. */
  swcr_process(crp: cryptop, _hint: number): number {
    const ctx = this.ctx;
    ctx.cycles = 0;
    ctx.charge(this.costs.process);
    crp.crp_etype = this.processRequest(crp);
    // Guarded here so the fields object is not built on the hot path when tracing is off.
    if (this.trace?.on) this.traceDriver('swcr.process', crp.crp_reqid, { etype: errnoName(crp.crp_etype), cycles: Math.round(ctx.cycles) });
    this.crypto.crypto_done(crp);
    return 0;
  }

  /** swcr_kprocess: compute, set krp_status, crypto_kdone; always returns 0. */
  swcr_kprocess(krp: cryptkop, _hint: number): number {
    this.kcycles = 0;
    krp.krp_status = swcr_kprocess(this.kctx, krp);
    this.traceDriver('swcr.kprocess', krp.krp_reqid, { op: krp.krp_op, status: errnoName(krp.krp_status), cycles: Math.round(this.kcycles) });
    this.crypto.crypto_kdone(krp);
    return 0;
  }

  private traceDriver(kind: string, req: number, fields: Record<string, string | number>): void {
    if (!this.trace?.on) return;
    this.trace.record({ t: this.sched.localNow(), layer: 'driver', where: this.nameunit, kind, req, fields });
  }

  private processRequest(crp: cryptop): number {
    if (crp.crp_desc === null || crp.crp_buf === null) return EINVAL;
    // Difference: FreeBSD trusted the flags; a buffer of the wrong kind is EINVAL here.
    if (crypto_bufcheck(crp.crp_flags, crp.crp_buf) !== null) return EINVAL;
    const session = this.sessions.get(CRYPTO_SESID2LID(crp.crp_sid));
    if (session === null) return ENOENT;
    const b = this.ctx.buffer(crp.crp_flags, crp.crp_buf);
    try {
      for (let crd: cryptodesc | null = crp.crp_desc; crd !== null; crd = crd.crd_next) {
        this.ctx.charge(this.costs.descriptor);
        const sw = swcr_find(session, crd.crd_alg);
        if (sw === null) return EINVAL;
        const kind = sw.info.kind;
        if (kind === 'gcm' || kind === 'gmac' || kind === 'gmac-auth') return swcr_authenc(this.ctx, crp, session, b);
        const err = this.one(crp, crd, sw, b);
        if (err !== 0) return err;
      }
      return 0;
    } catch (e) {
      return this.errnoOf(e);
    }
  }

  private one(crp: cryptop, crd: cryptodesc, sw: swcr_data, b: SwcrBuffer): number {
    switch (sw.info.kind) {
      case 'cbc':
      case 'xts':
      case 'icm':
      case 'arc4':
        return swcr_encdec(this.ctx, crd, sw, b);
      case 'null-cbc':
        return 0;
      case 'hmac':
      case 'kpdk':
      case 'hash':
        return swcr_authcompute(this.ctx, crd, sw, b);
      case 'deflate':
        return swcr_compdec(this.ctx, crd, crp, b);
      default:
        return EINVAL;
    }
  }

  /**
   * Turn what the buffer helpers and transforms throw into an errno, so nothing escapes the
   * framework: a failed m_copyback extension (ENOBUFS), a corrupt DEFLATE stream or an argument a
   * transform refuses (EINVAL). Anything else is a bug and propagates.
   */
  private errnoOf(e: unknown): number {
    if (e instanceof KernelError) return e.errno;
    if (e instanceof DeflateError || e instanceof RangeError || e instanceof TypeError) return EINVAL;
    throw e;
  }
}
