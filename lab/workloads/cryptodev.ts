/**
 * A /dev/crypto process: opens the device, creates a session with CIOCGSESSION2, then loops on
 * CIOCCRYPT (encrypt `size` bytes with a fresh explicit IV) as tools/tools/crypto/cryptotest.c
 * does, checking every result. `outstanding: N` runs N such processes, each with its own
 * descriptor (one call at a time per descriptor, as a single-threaded process).
 *
 * The ioctls are Promises (framework/cryptodev.ts); the runner yields to the host between engine
 * events when `wantsHost()` says a call has returned, so the process issues its next call at the
 * simulated moment the previous one returned.
 *
 * Cipher only by default: with a MAC, CIOCCRYPT puts the MAC descriptor first (ocf.md §5.5), which
 * hifn(4) refuses for encryption, as FreeBSD's did.
 *
 * @example
 *   { kind: 'cryptodev', name: 'cryptotest', cipher: 'aes-cbc', size: 1024, outstanding: 1, crid: 'any' }
 */
import { CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_FLAG_HARDWARE, CRYPTO_FLAG_SOFTWARE, CRYPTO_SHA1_HMAC } from '../../framework/constants.js';
import { CryptodevError, type CryptodevHandle } from '../../framework/cryptodev.js';
import { CIOCCRYPT, CIOCGSESSION2, COP_ENCRYPT, crypt_op, session2_op } from '../../framework/cryptodev-structs.js';
import type { KThread } from '../../sim/cpu.js';
import type { Machine } from '../machine.js';
import { Ledger } from './ledger.js';
import { driverOfSid, sameBytes, type Workload, type WorkloadEnv, type WorkloadSpecBase } from './workload.js';

export interface CryptodevSpec extends WorkloadSpecBase {
  kind: 'cryptodev';
  cipher?: 'aes-cbc' | '3des-cbc';
  /** Add HMAC-SHA1 to the session (software drivers only; see the header). */
  mac?: 'hmac-sha1';
  /** Bytes per CIOCCRYPT, a multiple of the block size (default 1024). */
  size?: number;
}

const ALGS = { 'aes-cbc': { alg: CRYPTO_AES_CBC, key: 16, block: 16 }, '3des-cbc': { alg: CRYPTO_3DES_CBC, key: 24, block: 8 } } as const;

/** One process: its descriptor and the call it is waiting for. */
interface Proc {
  fd: CryptodevHandle;
  waiting: boolean;
  td: KThread | null;
  sid: bigint;
}

class CryptodevWorkload implements Workload {
  readonly kind = 'cryptodev';
  readonly name: string;
  readonly ledger: Ledger;
  private readonly m: Machine;
  private readonly procs: Proc[] = [];
  private stopped = true;
  private readonly size: number;
  private readonly c: (typeof ALGS)[keyof typeof ALGS];

  constructor(
    private readonly spec: CryptodevSpec,
    private readonly env: WorkloadEnv,
  ) {
    if (spec.rate !== undefined) throw new RangeError(`workload ${spec.name}: a /dev/crypto process runs closed loop: give outstanding (processes), not rate`);
    const n = spec.outstanding ?? 1;
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`workload ${spec.name}: outstanding must be an integer >= 1`);
    this.name = spec.name;
    this.m = env.machine;
    this.c = ALGS[spec.cipher ?? 'aes-cbc'];
    if (!this.c) throw new RangeError(`workload ${spec.name}: unknown cipher "${spec.cipher}" (aes-cbc, 3des-cbc)`);
    this.size = spec.size ?? 1024;
    if (!(Number.isInteger(this.size) && this.size > 0 && this.size % this.c.block === 0)) {
      throw new RangeError(`workload ${spec.name}: size must be a positive multiple of ${this.c.block}`);
    }
    this.ledger = new Ledger(spec.name);
    for (let i = 0; i < n; i++) this.procs.push({ fd: this.m.cryptodev(), waiting: false, td: null, sid: 0n });
  }

  get threads(): readonly string[] {
    return this.procs.map((p) => `cryptodev fd ${p.fd.fd}`);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const p of this.procs) void this.program(p);
  }

  stop(): void {
    this.stopped = true;
  }

  steer(): void {
    throw new RangeError(`workload ${this.name}: a /dev/crypto process has no rate to steer`);
  }

  rekey(): void {}

  close(): void {
    for (const p of this.procs) if (!p.fd.closed) p.fd.close();
  }

  wantsHost(): boolean {
    return this.procs.some((p) => p.waiting && !p.fd.busy);
  }

  /** When the process got control back: the end of its descriptor thread's last step. */
  private now(p: Proc): number {
    p.td ??= this.m.scheduler.allThreads.find((t) => t.name === `cryptodev fd ${p.fd.fd}`) ?? null;
    return Math.max(this.m.now, p.td?.localTime ?? 0);
  }

  private async call<A>(p: Proc, cmd: number, arg: A): Promise<void> {
    p.waiting = true;
    try {
      await p.fd.ioctl(cmd, arg);
    } finally {
      p.waiting = false;
    }
  }

  private async program(p: Proc): Promise<void> {
    const key = this.env.prng.bytes(this.c.key);
    const mackey = this.env.prng.bytes(20);
    const crid = this.spec.crid === 'hardware' ? CRYPTO_FLAG_HARDWARE : this.spec.crid === 'software' ? CRYPTO_FLAG_SOFTWARE : CRYPTO_FLAG_HARDWARE | CRYPTO_FLAG_SOFTWARE;
    const sop = new session2_op({ cipher: this.c.alg, keylen: key.length, key, crid, ...(this.spec.mac ? { mac: CRYPTO_SHA1_HMAC, mackeylen: 20, mackey } : {}) });
    if (p.fd.sessions.length === 0) {
      try {
        await this.call(p, CIOCGSESSION2, sop);
      } catch (e) {
        this.ledger.error(this.now(p), `CIOCGSESSION2 ${e instanceof CryptodevError ? e.code : 'exception'}`);
        return;
      }
      p.sid = p.fd.sessions[0]?.sid ?? 0n;
    }
    const ses = sop.ses;
    const data = this.env.prng.stream('data');
    while (!this.stopped) {
      const r = this.ledger.begin(this.now(p), this.size);
      const src = data.bytes(this.size);
      const iv = data.bytes(this.c.block);
      const dst = new Uint8Array(this.size);
      const mac = new Uint8Array(20);
      try {
        await this.call(p, CIOCCRYPT, new crypt_op({ ses, op: COP_ENCRYPT, len: this.size, src, dst, iv, ...(this.spec.mac ? { mac } : {}) }));
      } catch (e) {
        if (!(e instanceof CryptodevError)) throw e;
        this.ledger.fail(r, this.now(p), e.code);
        continue;
      }
      const t = this.now(p);
      const sid = p.fd.sessions.find((s) => s.ses === ses)?.sid ?? p.sid;
      if (sid !== p.sid) {
        this.ledger.migration(t, `${driverOfSid(this.m, p.sid)} -> ${driverOfSid(this.m, sid)}`);
        p.sid = sid;
      }
      const want = src.slice();
      this.env.backend.cbcEncrypt(this.c.alg, key, iv, want);
      let good = sameBytes(dst, want);
      if (good && this.spec.mac) good = sameBytes(mac, this.env.backend.hmac(CRYPTO_SHA1_HMAC, mackey, src));
      const driver = driverOfSid(this.m, sid);
      if (good) this.ledger.ok(r, t, driver);
      else this.ledger.corrupt(r, t, driver);
    }
  }
}

export function cryptodevWorkload(spec: CryptodevSpec, env: WorkloadEnv): Workload {
  return new CryptodevWorkload(spec, env);
}
