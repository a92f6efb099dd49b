/**
 * A keying consumer (an IKE daemon's public-key work, as OpenSSL's cryptodev engine hands it to
 * crypto(9)): RSA-1024 private-key operations and 1024-bit Diffie-Hellman, one cryptkop each,
 * through crypto_kdispatch.
 *
 * - 'modexp': RSA without CRT, CRK_MOD_EXP(x, d, n) — what the cryptodev engine did on a card
 *   that offered only MOD_EXP, such as the Hifn 795x public-key unit;
 * - 'modexp-crt': CRK_MOD_EXP_CRT(p, q, x, dp, dq, qinv);
 * - 'dh': CRK_DH_COMPUTE_KEY(private, peer public, p).
 * RSA results are checked by raising them to e (they must give x back), DH results against the
 * host's own computation. Key ops reach software drivers only with kern.cryptodevallowsoft=1
 * (ocf.md §4.10: the gate applies to every kernel caller).
 *
 * @example
 *   { kind: 'keying', name: 'ike', ops: ['modexp'], crid: 'hardware', rate: 500 }
 */
import { CRK_DH_COMPUTE_KEY, CRK_MOD_EXP, CRK_MOD_EXP_CRT, CRK_PARAM_COUNTS, EAGAIN } from '../../framework/constants.js';
import { modExp } from '../../framework/cryptosoft-keying.js';
import { cryptkop, crparamFromBigInt, crparamToBigInt } from '../../framework/structs.js';
import type { KThread } from '../../sim/cpu.js';
import { errnoName } from '../../sim/errno.js';
import type { Machine } from '../machine.js';
import { WORKLOAD_CYCLES } from './costs.js';
import { DH1024_160, RSA1024 } from './keying-params.js';
import { Ledger, type Tracked } from './ledger.js';
import { LoadLoop, loadLoopFor } from './load-loop.js';
import { cridFlags, loopOf, type Workload, type WorkloadEnv, type WorkloadSpecBase } from './workload.js';

export type KeyingOp = 'modexp' | 'modexp-crt' | 'dh';

export interface KeyingSpec extends WorkloadSpecBase {
  kind: 'keying';
  /** Operations, issued round-robin (default ['modexp-crt', 'dh']). */
  ops?: readonly KeyingOp[];
  /** Resubmit on EAGAIN (a card ejected with the operation on it); default true. */
  resubmit?: boolean;
  maxInFlight?: number;
  /** Default 'user' (the IKE daemon is a process). */
  priority?: 'kernel' | 'user';
}

const OPS: Readonly<Record<KeyingOp, number>> = { modexp: CRK_MOD_EXP, 'modexp-crt': CRK_MOD_EXP_CRT, dh: CRK_DH_COMPUTE_KEY };

/** Bytes of modulus an operation works on (for throughput figures). */
const OP_BYTES = RSA1024.bits / 8;

class KeyingWorkload implements Workload {
  readonly kind = 'keying';
  readonly name: string;
  readonly ledger: Ledger;
  readonly threads: readonly string[];
  private readonly m: Machine;
  private readonly loop: LoadLoop;
  private readonly ops: readonly KeyingOp[];
  private next = 0;
  private peerPublic = 0n;

  constructor(
    private readonly spec: KeyingSpec,
    private readonly env: WorkloadEnv,
  ) {
    loopOf(spec);
    this.name = spec.name;
    this.m = env.machine;
    this.ops = spec.ops ?? ['modexp-crt', 'dh'];
    if (this.ops.length === 0) throw new RangeError(`workload ${spec.name}: ops is empty`);
    for (const op of this.ops) if (!(op in OPS)) throw new RangeError(`workload ${spec.name}: unknown op "${op}" (modexp, modexp-crt, dh)`);
    this.ledger = new Ledger(spec.name);
    this.threads = [spec.name];
    this.loop = loadLoopFor(this.m, spec, env.prng, this.ledger, 'user', (td) => this.submit(td));
  }

  start(): void {
    if (this.peerPublic === 0n) this.peerPublic = modExp(DH1024_160.g, this.secret(), DH1024_160.p);
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  steer(o: { rate?: number; outstanding?: number }): void {
    this.loop.steer(o);
  }

  /** Key operations have no sessions: nothing to rekey. */
  rekey(): void {}

  close(): void {}

  /** A DH private value: 160 bits in [2, q - 2]. */
  private secret(): bigint {
    const b = this.env.prng.bytes(20);
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    return 2n + (v % (DH1024_160.q - 3n));
  }

  private submit(td: KThread): void {
    td.chargeCycles(WORKLOAD_CYCLES.keyingOp);
    const t = td.localTime;
    const op = this.ops[this.next++ % this.ops.length]!;
    const r = this.ledger.begin(t, OP_BYTES);
    const krp = new cryptkop();
    krp.krp_op = OPS[op];
    krp.krp_crid = cridFlags(this.spec.crid);
    const [iparams, oparams] = CRK_PARAM_COUNTS[krp.krp_op]!;
    krp.krp_iparams = iparams;
    krp.krp_oparams = oparams;
    const R = RSA1024;
    const x = 2n + (this.bigRandom(R.bits) % (R.n - 4n));
    let check: (out: bigint) => boolean;
    let ins: [bigint, number][];
    if (op === 'modexp') {
      ins = [[x, R.bits], [R.d, R.bits], [R.n, R.bits]];
      check = (y) => modExp(y, R.e, R.n) === x;
    } else if (op === 'modexp-crt') {
      ins = [[R.p, R.bits / 2], [R.q, R.bits / 2], [x, R.bits], [R.dp, R.bits / 2], [R.dq, R.bits / 2], [R.qinv, R.bits / 2]];
      check = (y) => modExp(y, R.e, R.n) === x;
    } else {
      const priv = this.secret();
      ins = [[priv, 160], [this.peerPublic, DH1024_160.bits], [DH1024_160.p, DH1024_160.bits]];
      check = (z) => z === modExp(this.peerPublic, priv, DH1024_160.p);
    }
    ins.forEach(([v, bits], i) => (krp.krp_param[i] = crparamFromBigInt(v, bits)));
    krp.krp_callback = (k) => this.done(k, r, check);
    if (this.m.crypto.crypto_kdispatch(krp) !== 0) this.finish(() => this.ledger.fail(r, t, 'EINVAL'));
  }

  private bigRandom(bits: number): bigint {
    let v = 0n;
    for (const x of this.env.prng.bytes(bits / 8)) v = (v << 8n) | BigInt(x);
    return v;
  }

  private done(k: cryptkop, r: Tracked, check: (out: bigint) => boolean): void {
    const t = this.m.scheduler.localNow();
    if (k.krp_status === EAGAIN) {
      this.ledger.eagain(t);
      if (this.spec.resubmit ?? true) {
        this.ledger.resubmit(t);
        if (this.m.crypto.crypto_kdispatch(k) === 0) return;
        return this.finish(() => this.ledger.fail(r, t, 'EINVAL'));
      }
    }
    if (k.krp_status !== 0) return this.finish(() => this.ledger.fail(r, t, errnoName(k.krp_status)));
    const driver = this.m.crypto.crypto_find_device_byhid(k.krp_hid)?.nameunit ?? `driver${k.krp_hid}`;
    const out = crparamToBigInt(k.krp_param[k.krp_iparams]!);
    this.finish(() => (check(out) ? this.ledger.ok(r, t, driver) : this.ledger.corrupt(r, t, driver)));
  }

  private finish(record: () => boolean): void {
    if (record()) this.loop.completed();
  }
}

export function keyingWorkload(spec: KeyingSpec, env: WorkloadEnv): Workload {
  return new KeyingWorkload(spec, env);
}
