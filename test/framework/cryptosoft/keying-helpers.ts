/** Keying requests through crypto_kdispatch on a machine that lets cryptosoft serve them. */
import { expect } from 'vitest';
import { CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_SOFTWARE } from '../../../framework/constants.js';
import { cryptkop, crparam, crparamFromBigInt, crparamToBigInt } from '../../../framework/structs.js';
import type { BackendName } from '../../../framework/xform/backend.js';
import { Machine } from '../../../lab/machine.js';

export const big = (h: string): bigint => BigInt(`0x${h}`);
export const bits = (v: bigint): number => v.toString(2).length;

export function kmachine(backend: BackendName = 'openssl', seed = 1): Machine {
  return new Machine({ seed, cryptoBackend: backend, sysctl: { 'kern.cryptodevallowsoft': 1 } });
}

/** Inputs as [value, nbits] (nbits default: the value's own); `outs` output crparams (default: empty, allocated by the driver). */
export function kop(m: Machine, op: number, ins: (bigint | [bigint, number] | crparam)[], outs: number | crparam[] = 1) {
  const krp = new cryptkop();
  krp.krp_op = op;
  // What CIOCKEY asks for: hardware first, then software (which needs kern.cryptodevallowsoft).
  krp.krp_crid = CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE;
  krp.krp_iparams = ins.length;
  ins.forEach((x, i) => {
    const p = x instanceof crparam ? x : Array.isArray(x) ? crparamFromBigInt(x[0], x[1]) : crparamFromBigInt(x);
    krp.krp_param[i] = p;
  });
  const outList = typeof outs === 'number' ? Array.from({ length: outs }, () => new crparam()) : outs;
  krp.krp_oparams = outList.length;
  outList.forEach((p, j) => (krp.krp_param[ins.length + j] = p));
  let calls = 0;
  krp.krp_callback = () => {
    calls++;
  };
  expect(m.crypto.crypto_kdispatch(krp)).toBe(0);
  m.run();
  expect(calls).toBe(1);
  const results = outList.map((p) => crparamToBigInt(p));
  return { status: krp.krp_status, results, outs: outList, hid: krp.krp_hid };
}
