/**
 * A GELI-like disk encryption consumer (FreeBSD sys/geom/eli/g_eli_crypto.c): AES-XTS, one crypto
 * request per 4 KiB sector, the IV the sector's number (little-endian, 8 bytes, ocf.md §3.3), the
 * sector in a uio of two iovecs (a bio's data split at a page boundary), CRYPTO_F_CBIFSYNC.
 * Writes encrypt; reads decrypt what a write would have put on disk. Hardware of the Hifn era has
 * no XTS, so these sessions go to cryptosoft: the workload shows what disk encryption costs the
 * CPU next to IPsec on the card.
 *
 * Like g_eli_crypto_read_done / g_eli_crypto_write_done, the callback resubmits on EAGAIN after
 * copying the new session id. Every sector is checked against the host-side reference.
 *
 * @example
 *   { kind: 'geli', name: 'disk', keyBits: 256, readFraction: 0.7, rate: 5_000 }
 */
import { CRD_F_ENCRYPT, CRD_F_IV_EXPLICIT, CRD_F_IV_PRESENT, CRYPTO_AES_XTS, CRYPTO_F_CBIFSYNC, CRYPTO_F_IOV, EAGAIN } from '../../framework/constants.js';
import { cryptoini, type cryptop } from '../../framework/structs.js';
import type { KThread } from '../../sim/cpu.js';
import { errnoName } from '../../sim/errno.js';
import { cuio_copydata, uio_fromBytes, type uio } from '../../sim/uio.js';
import type { Machine } from '../machine.js';
import { WORKLOAD_CYCLES } from './costs.js';
import { Ledger, type Tracked } from './ledger.js';
import { LoadLoop, loadLoopFor } from './load-loop.js';
import { cridFlags, driverOfSid, loopOf, sameBytes, type Workload, type WorkloadEnv, type WorkloadSpecBase } from './workload.js';

export interface GeliSpec extends WorkloadSpecBase {
  kind: 'geli';
  /** AES-XTS key size: 128 (32-byte key) or 256 (64-byte key); default 128. */
  keyBits?: 128 | 256;
  /** Sector size, a multiple of 16 (default 4096). */
  sectorSize?: number;
  /** Share of reads (decrypt); default 0.5. */
  readFraction?: number;
  /** Sectors of the provider; sector numbers are drawn from 0 .. sectors-1 (default 2^20). */
  sectors?: number;
  maxInFlight?: number;
  /** Default 'kernel' (the g_eli worker thread). */
  priority?: 'kernel' | 'user';
}

class GeliWorkload implements Workload {
  readonly kind = 'geli';
  readonly name: string;
  readonly ledger: Ledger;
  readonly threads: readonly string[];
  private readonly m: Machine;
  private readonly loop: LoadLoop;
  private readonly sectorSize: number;
  private key: Uint8Array;
  private sid = 0n;
  private live = false;
  private inflight = 0;
  private retiring: bigint[] = [];

  constructor(
    private readonly spec: GeliSpec,
    private readonly env: WorkloadEnv,
  ) {
    loopOf(spec);
    this.name = spec.name;
    this.m = env.machine;
    this.sectorSize = spec.sectorSize ?? 4096;
    if (!(Number.isInteger(this.sectorSize) && this.sectorSize >= 16 && this.sectorSize % 16 === 0)) {
      throw new RangeError(`workload ${spec.name}: sectorSize must be a multiple of 16`);
    }
    const kb = spec.keyBits ?? 128;
    if (kb !== 128 && kb !== 256) throw new RangeError(`workload ${spec.name}: keyBits must be 128 or 256`);
    this.key = new Uint8Array(0);
    this.ledger = new Ledger(spec.name);
    this.threads = [spec.name];
    this.loop = loadLoopFor(this.m, spec, env.prng, this.ledger, 'kernel', (td) => this.submit(td));
  }

  start(): void {
    if (!this.live) this.newSession();
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  steer(o: { rate?: number; outstanding?: number }): void {
    this.loop.steer(o);
  }

  rekey(): void {
    if (this.live) this.retiring.push(this.sid);
    this.newSession();
    this.freeRetired();
  }

  close(): void {
    if (this.live) this.retiring.push(this.sid);
    this.live = false;
    this.freeRetired();
  }

  private newSession(): void {
    this.key = this.env.prng.bytes((this.spec.keyBits ?? 128) / 4);
    const cri = new cryptoini({ cri_alg: CRYPTO_AES_XTS, cri_klen: this.key.length * 8, cri_key: this.key });
    const { error, sid } = this.m.crypto.crypto_newsession(cri, cridFlags(this.spec.crid));
    this.live = error === 0;
    this.sid = sid;
    if (error !== 0) this.ledger.error(this.m.scheduler.localNow(), `newsession ${errnoName(error)}`);
  }

  /** Old sessions are freed once nothing of theirs is in flight (g_eli waits for its requests). */
  private freeRetired(): void {
    if (this.inflight > 0) return;
    for (const sid of this.retiring) this.m.crypto.crypto_freesession(sid);
    this.retiring = [];
  }

  private submit(td: KThread): void {
    td.chargeCycles(WORKLOAD_CYCLES.geliSector);
    const t = td.localTime;
    const r = this.ledger.begin(t, this.sectorSize);
    if (!this.live) {
      this.ledger.fail(r, t, 'ENXIO');
      this.loop.completed();
      return;
    }
    const prng = this.env.prng;
    const sector = prng.int(0, (this.spec.sectors ?? 1 << 20) - 1);
    const read = prng.nextFloat() < (this.spec.readFraction ?? 0.5);
    const iv = new Uint8Array(8);
    new DataView(iv.buffer).setBigUint64(0, BigInt(sector), true);
    const plain = prng.stream('data').bytes(this.sectorSize);
    const cipher = plain.slice();
    this.env.backend.aesXtsEncrypt(this.key, iv, cipher);
    const input = read ? cipher : plain;
    const want = read ? plain : cipher;
    const { uio: u, free } = uio_fromBytes(this.m.mem, input, [this.sectorSize / 2]);
    const crp = this.m.crypto.crypto_getreq(1)!;
    crp.crp_sid = this.sid;
    crp.crp_flags = CRYPTO_F_IOV | CRYPTO_F_CBIFSYNC;
    crp.crp_buf = u;
    crp.crp_ilen = this.sectorSize;
    const d = crp.crp_desc!;
    d.crd_alg = CRYPTO_AES_XTS;
    d.crd_key = this.key;
    d.crd_klen = this.key.length * 8;
    d.crd_skip = 0;
    d.crd_len = this.sectorSize;
    d.crd_flags = CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT | (read ? 0 : CRD_F_ENCRYPT);
    d.crd_iv = iv;
    this.inflight++;
    crp.crp_callback = (c) => this.done(c, r, want, free);
    const err = this.m.crypto.crypto_dispatch(crp);
    if (err !== 0) this.finish(crp, free, () => this.ledger.fail(r, t, errnoName(err)));
  }

  private done(c: cryptop, r: Tracked, want: Uint8Array, free: () => void): void {
    const t = this.m.scheduler.localNow();
    if (c.crp_etype === EAGAIN) {
      this.ledger.eagain(t);
      if (c.crp_sid !== this.sid && this.live && !this.retiring.includes(c.crp_sid)) {
        // g_eli_crypto_*_done: "if (crp->crp_etype == EAGAIN) { if (g_eli_crypto_rerun(crp) == 0) return; }",
        // rerun copies the new crp_sid into the softc's key slot.
        if (driverOfSid(this.m, c.crp_sid) !== driverOfSid(this.m, this.sid)) {
          this.ledger.migration(t, `${driverOfSid(this.m, this.sid)} -> ${driverOfSid(this.m, c.crp_sid)}`);
        }
        this.sid = c.crp_sid;
      }
      this.ledger.resubmit(t);
      const err = this.m.crypto.crypto_dispatch(c);
      if (err === 0) return;
      return this.finish(c, free, () => this.ledger.fail(r, t, errnoName(err)));
    }
    if (c.crp_etype !== 0) return this.finish(c, free, () => this.ledger.fail(r, t, errnoName(c.crp_etype)));
    const got = new Uint8Array(this.sectorSize);
    cuio_copydata(c.crp_buf as uio, 0, this.sectorSize, got);
    const driver = driverOfSid(this.m, c.crp_sid);
    this.finish(c, free, () => (sameBytes(got, want) ? this.ledger.ok(r, t, driver) : this.ledger.corrupt(r, t, driver)));
  }

  private finish(c: cryptop, free: () => void, record: () => boolean): void {
    if (!record()) return;
    free();
    this.m.crypto.crypto_freereq(c);
    this.inflight--;
    if (this.retiring.length > 0) this.freeRetired();
    this.loop.completed();
  }
}

export function geliWorkload(spec: GeliSpec, env: WorkloadEnv): Workload {
  return new GeliWorkload(spec, env);
}
