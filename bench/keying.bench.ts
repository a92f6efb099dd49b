/**
 * CRK_MOD_EXP and CRK_MOD_EXP_CRT through the framework (crypto_kdispatch → swcr_kprocess →
 * callback), on a machine of each backend, next to OpenSSL's own raw RSA private operation on the
 * same key. The target: CRT-2048 within 10x of OpenSSL. Host speed only: simulated time
 * comes from the cost table.
 */
import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { CRK_MOD_EXP, CRK_MOD_EXP_CRT, CRYPTOCAP_F_SOFTWARE } from '../framework/constants.js';
import { cryptkop, crparam, crparamFromBigInt } from '../framework/structs.js';
import type { BackendName } from '../framework/xform/backend.js';
import { Machine } from '../lab/machine.js';
import { rate, type BenchResult } from './harness.js';

const fromB64u = (s: string | undefined): bigint => BigInt(`0x${Buffer.from(s ?? '', 'base64url').toString('hex') || '0'}`);

/** One request, reused: crypto_kdispatch, then run the machine until the callback. */
function keyingRequest(m: Machine, op: number, ins: bigint[], label: string): () => number {
  const krp = new cryptkop();
  krp.krp_op = op;
  krp.krp_crid = CRYPTOCAP_F_SOFTWARE;
  krp.krp_iparams = ins.length;
  krp.krp_oparams = 1;
  ins.forEach((v, i) => (krp.krp_param[i] = crparamFromBigInt(v)));
  let done = 0;
  krp.krp_callback = () => {
    done++;
  };
  return () => {
    krp.krp_param[ins.length] = new crparam();
    const error = m.crypto.crypto_kdispatch(krp);
    m.run();
    if (error !== 0 || krp.krp_status !== 0 || done !== 1) {
      throw new Error(`keying bench: ${label} failed (dispatch ${error}, krp_status ${krp.krp_status}, ${done} callbacks)`);
    }
    done = 0;
    return 1;
  };
}

export function* keyingBench(): Generator<BenchResult> {
  const machines = Object.fromEntries((['openssl', 'noble'] as BackendName[]).map((b) => [
    b,
    new Machine({ seed: 1, cryptoBackend: b, sysctl: { 'kern.cryptodevallowsoft': 1 } }),
  ])) as Record<BackendName, Machine>;
  for (const bits of [1024, 2048, 4096]) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    const j = privateKey.export({ format: 'jwk' });
    const [n, d, p, q, dp, dq, qi] = [j.n, j.d, j.p, j.q, j.dp, j.dq, j.qi].map(fromB64u) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint];
    const c = (n * 0x9e3779b97f4a7c15n) >> 64n; // any value below n
    const input = Buffer.from(c.toString(16).padStart(bits / 4, '0'), 'hex');
    const ossl = rate(() => {
      privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, input);
      return 1;
    }, { rounds: 3, minMs: 200 });
    yield { name: `OpenSSL raw RSA private ${bits}-bit (CRT)`, value: ossl, unit: 'ops/s' };
    for (const backend of ['openssl', 'noble'] as BackendName[]) {
      const m = machines[backend];
      const crt = rate(keyingRequest(m, CRK_MOD_EXP_CRT, [p, q, c, dp, dq, qi], `CRT-${bits}`), { rounds: 3, minMs: 200 });
      yield {
        name: `  CRK_MOD_EXP_CRT ${bits}-bit (${backend}), ${(ossl / crt).toFixed(1)}x OpenSSL's time`,
        value: crt,
        unit: 'ops/s',
        ...(bits === 2048 ? { target: Math.round(ossl / 10) } : {}),
      };
      const exp = rate(keyingRequest(m, CRK_MOD_EXP, [c, d, n], `MOD_EXP-${bits}`), { rounds: 3, minMs: 200 });
      yield { name: `  CRK_MOD_EXP ${bits}-bit (${backend}), ${(ossl / exp).toFixed(1)}x`, value: exp, unit: 'ops/s' };
    }
  }
}
