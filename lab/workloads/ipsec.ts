/**
 * An IPsec ESP-like consumer (FreeBSD netipsec/xform_esp.c): per security association one crypto
 * session with a cipher (AES-CBC or 3DES-CBC) chained with HMAC-SHA1-96 or HMAC-MD5-96; per packet
 * one request of two descriptors over an mbuf chain, CRYPTO_F_IMBUF | CRYPTO_F_CBIFSYNC.
 *
 * Outbound (esp_output): cipher descriptor then auth descriptor, encrypt-then-MAC; the driver
 * chooses the IV and writes it after the ESP header (crd_inject). Inbound (esp_input): auth then
 * cipher, the ICV computed over the ciphertext.
 *
 * The callback does what esp_output_cb / esp_input_cb do (reference ocf.md §8): copy `crp_sid`
 * back into the SA (the framework may have migrated the session), and on EAGAIN resubmit the same
 * request with crypto_dispatch. Every other outcome is final: an error is counted by errno name; a
 * success is checked against the host-side reference, and a packet with the wrong bytes is counted
 * as silent corruption.
 *
 * @example
 *   { kind: 'ipsec', name: 'esp', cipher: 'aes-cbc', auth: 'hmac-sha1', sas: 4, sizes: 'imix', rate: 40_000 }
 */
import { CRD_F_ENCRYPT, CRYPTO_F_BATCH, CRYPTO_F_CBIFSYNC, CRYPTO_F_IMBUF, EAGAIN } from '../../framework/constants.js';
import { cryptoini, type cryptop } from '../../framework/structs.js';
import type { KThread } from '../../sim/cpu.js';
import { errnoName } from '../../sim/errno.js';
import { m_copyback, m_freem, m_fromBytes, m_toBytes, type mbuf } from '../../sim/mbuf.js';
import type { Machine } from '../machine.js';
import { WORKLOAD_CYCLES } from './costs.js';
import { AUTHS, CIPHERS, ESP_ICV, espExpectedOutbound, espInbound, espLayout, espPlaintext, sizeSampler, type EspAuth, type EspCipher, type EspKeys, type PacketMix } from './esp-packet.js';
import { Ledger, type Tracked } from './ledger.js';
import { LoadLoop, loadLoopFor } from './load-loop.js';
import { cridFlags, driverOfSid, loopOf, sameBytes, type Workload, type WorkloadEnv, type WorkloadSpecBase } from './workload.js';

export interface IpsecSpec extends WorkloadSpecBase {
  kind: 'ipsec';
  cipher?: EspCipher;
  auth?: EspAuth;
  /** Security associations, one session each (default 1); packets go round-robin over them. */
  sas?: number;
  /** IP packet sizes (default 'imix'). */
  sizes?: PacketMix;
  /** Default 'outbound'; 'both' alternates. */
  direction?: 'outbound' | 'inbound' | 'both';
  /** Resubmit on EAGAIN as IPsec does (default true; false shows what a careless consumer loses). */
  resubmit?: boolean;
  /**
   * Before resubmitting a request its driver failed with EAGAIN, restore the packet's bytes
   * (default true): the card may have written into the buffer before it went away. False shows
   * the silent corruption a consumer that resubmits blindly gets.
   */
  restoreOnEagain?: boolean;
  /** Set CRYPTO_F_BATCH on every request (default false). */
  batch?: boolean;
  /** Open loop: packets beyond this many in flight are dropped (default 1024). */
  maxInFlight?: number;
  /** Thread priority (default 'kernel': esp_output runs in the kernel). */
  priority?: 'kernel' | 'user';
}

/** A crypto session of an SA (an SA gets a new one when rekeyed). */
interface EspSession {
  sid: bigint;
  keys: EspKeys;
  inflight: number;
  retired: boolean;
}

interface Sa {
  spi: number;
  seq: number;
  session: EspSession | null;
}

class IpsecWorkload implements Workload {
  readonly kind = 'ipsec';
  readonly name: string;
  readonly ledger: Ledger;
  readonly threads: readonly string[];
  private readonly m: Machine;
  private readonly cipher: EspCipher;
  private readonly auth: EspAuth;
  private readonly loop: LoadLoop;
  private readonly nextSize: () => number;
  private readonly sas: Sa[] = [];
  private rr = 0;
  private packets = 0;

  constructor(
    private readonly spec: IpsecSpec,
    private readonly env: WorkloadEnv,
  ) {
    loopOf(spec);
    this.name = spec.name;
    this.m = env.machine;
    this.cipher = spec.cipher ?? 'aes-cbc';
    this.auth = spec.auth ?? 'hmac-sha1';
    if (!CIPHERS[this.cipher]) throw new RangeError(`workload ${spec.name}: unknown cipher "${this.cipher}" (aes-cbc, 3des-cbc)`);
    if (!AUTHS[this.auth]) throw new RangeError(`workload ${spec.name}: unknown auth "${this.auth}" (hmac-sha1, hmac-md5)`);
    const n = spec.sas ?? 1;
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`workload ${spec.name}: sas must be an integer >= 1`);
    for (let i = 0; i < n; i++) this.sas.push({ spi: 0x1000 + i, seq: 0, session: null });
    this.nextSize = sizeSampler(spec.sizes ?? 'imix', env.prng.stream('sizes'));
    this.ledger = new Ledger(spec.name);
    this.threads = [spec.name];
    this.loop = loadLoopFor(this.m, spec, env.prng, this.ledger, 'kernel', (td) => this.submit(td));
  }

  start(): void {
    for (const sa of this.sas) if (!sa.session) sa.session = this.newSession();
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  steer(o: { rate?: number; outstanding?: number }): void {
    this.loop.steer(o);
  }

  rekey(): void {
    for (const sa of this.sas) {
      const old = sa.session;
      sa.session = this.newSession();
      if (old) this.retire(old);
    }
  }

  close(): void {
    for (const sa of this.sas) {
      if (sa.session) this.retire(sa.session);
      sa.session = null;
    }
  }

  private newSession(): EspSession | null {
    const c = CIPHERS[this.cipher];
    const a = AUTHS[this.auth];
    const keys: EspKeys = { cipher: this.cipher, auth: this.auth, ckey: this.env.prng.bytes(c.key), mkey: this.env.prng.bytes(a.key) };
    const mac = new cryptoini({ cri_alg: a.alg, cri_klen: a.key * 8, cri_key: keys.mkey, cri_mlen: ESP_ICV });
    const cri = new cryptoini({ cri_alg: c.alg, cri_klen: c.key * 8, cri_key: keys.ckey, cri_next: mac });
    const { error, sid } = this.m.crypto.crypto_newsession(cri, cridFlags(this.spec.crid));
    if (error !== 0) {
      this.ledger.error(this.m.scheduler.localNow(), `newsession ${errnoName(error)}`);
      return null;
    }
    return { sid, keys, inflight: 0, retired: false };
  }

  private retire(s: EspSession): void {
    s.retired = true;
    if (s.inflight === 0) this.m.crypto.crypto_freesession(s.sid);
  }

  private outbound(): boolean {
    const d = this.spec.direction ?? 'outbound';
    return d === 'outbound' || (d === 'both' && this.packets % 2 === 0);
  }

  private submit(td: KThread): void {
    td.chargeCycles(WORKLOAD_CYCLES.espPacket);
    const t = td.localTime;
    const sa = this.pickSa();
    const size = this.nextSize();
    const r = this.ledger.begin(t, size);
    if (!sa) {
      this.ledger.fail(r, t, 'ENXIO');
      this.loop.completed();
      return;
    }
    const ses = sa.session!;
    const out = this.outbound();
    this.packets++;
    const L = espLayout(size, this.cipher);
    const plain = espPlaintext(L, sa.spi, ++sa.seq, this.env.prng.stream('payload').bytes(size));
    let wire = plain;
    let expected: Uint8Array | null = null;
    if (!out) ({ wire, expected } = espInbound(this.env.backend, ses.keys, L, plain, this.env.prng.stream('peer-iv')));
    const m = m_fromBytes(this.m.mem, wire, { segments: [L.cipherAt] });
    const crp = this.m.crypto.crypto_getreq(2)!;
    crp.crp_sid = ses.sid;
    crp.crp_flags = CRYPTO_F_IMBUF | CRYPTO_F_CBIFSYNC | (this.spec.batch ? CRYPTO_F_BATCH : 0);
    crp.crp_buf = m;
    crp.crp_ilen = L.total;
    const [first, second] = [crp.crp_desc!, crp.crp_desc!.crd_next!];
    const enc = out ? first : second;
    const mac = out ? second : first;
    enc.crd_alg = CIPHERS[this.cipher].alg;
    enc.crd_key = ses.keys.ckey;
    enc.crd_klen = ses.keys.ckey.length * 8;
    enc.crd_skip = L.cipherAt;
    enc.crd_len = L.cipherLen;
    enc.crd_inject = L.cipherAt - L.ivlen;
    enc.crd_flags = out ? CRD_F_ENCRYPT : 0;
    mac.crd_alg = AUTHS[this.auth].alg;
    mac.crd_key = ses.keys.mkey;
    mac.crd_klen = ses.keys.mkey.length * 8;
    // Kept in CRD_INI so that a migrated session is rebuilt with the same 96-bit truncation.
    mac.CRD_INI.cri_mlen = ESP_ICV;
    mac.crd_skip = 0;
    mac.crd_len = L.icvAt;
    mac.crd_inject = L.icvAt;
    ses.inflight++;
    const sent = { sid: ses.sid };
    crp.crp_callback = (c) => this.done(c, r, sent, ses, wire, plain, expected, L);
    const err = this.m.crypto.crypto_dispatch(crp);
    if (err !== 0) this.finish(crp, ses, () => this.ledger.fail(r, t, errnoName(err)));
  }

  private pickSa(): Sa | null {
    for (let i = 0; i < this.sas.length; i++) {
      const sa = this.sas[this.rr++ % this.sas.length]!;
      if (sa.session) return sa;
    }
    return null;
  }

  private done(c: cryptop, r: Tracked, sent: { sid: bigint }, ses: EspSession, wire: Uint8Array, plain: Uint8Array, expected: Uint8Array | null, L: ReturnType<typeof espLayout>): void {
    const sched = this.m.scheduler;
    sched.current?.chargeCycles(WORKLOAD_CYCLES.espCallback);
    const t = sched.localNow();
    if (c.crp_sid !== sent.sid) {
      // esp_output_cb copies crp_sid into the SA on any error ("sav->tdb_cryptoid = crp->crp_sid").
      // Here only a SID the framework changed is copied: a request the departing driver failed
      // with EAGAIN still carries the old SID, and copying that back would undo the migration.
      if (c.crp_sid !== ses.sid) this.ledger.migration(t, `${driverOfSid(this.m, ses.sid)} -> ${driverOfSid(this.m, c.crp_sid)}`);
      ses.sid = c.crp_sid;
    }
    if (c.crp_etype === EAGAIN) {
      this.ledger.eagain(t);
      if (this.spec.resubmit ?? true) {
        if (c.crp_sid === sent.sid && (this.spec.restoreOnEagain ?? true)) {
          // EAGAIN from the driver itself (its detach failing work in flight), not from a
          // migration: the card may already have written into the buffer (in place), so put the
          // packet back as it was before sending it again. FreeBSD's IPsec did not need this:
          // its drivers never completed such requests at all.
          m_copyback(c.crp_buf as mbuf, 0, wire.length, wire);
          sched.current?.chargeCycles(WORKLOAD_CYCLES.copyPerByte * wire.length);
          this.ledger.restored(t);
        }
        this.ledger.resubmit(t);
        sent.sid = c.crp_sid;
        const err = this.m.crypto.crypto_dispatch(c);
        if (err === 0) return;
        return this.finish(c, ses, () => this.ledger.fail(r, t, errnoName(err)));
      }
    }
    if (c.crp_etype !== 0) return this.finish(c, ses, () => this.ledger.fail(r, t, errnoName(c.crp_etype)));
    const got = m_toBytes(c.crp_buf as mbuf);
    const want = expected ?? espExpectedOutbound(this.env.backend, ses.keys, L, plain, got);
    const driver = driverOfSid(this.m, c.crp_sid);
    this.finish(c, ses, () => (sameBytes(got, want) ? this.ledger.ok(r, t, driver) : this.ledger.corrupt(r, t, driver)));
  }

  private finish(c: cryptop, ses: EspSession, record: () => boolean): void {
    if (!record()) return; // a duplicate completion: already accounted for
    m_freem(c.crp_buf as mbuf);
    c.crp_buf = null;
    this.m.crypto.crypto_freereq(c);
    ses.inflight--;
    if (ses.retired && ses.inflight === 0) this.m.crypto.crypto_freesession(ses.sid);
    this.loop.completed();
  }
}

export function ipsecWorkload(spec: IpsecSpec, env: WorkloadEnv): Workload {
  return new IpsecWorkload(spec, env);
}
