/**
 * "framework null request": crypto_dispatch → a synchronous driver that completes at once →
 * callback, in host requests per second. Measures the framework's own host cost (no crypto).
 */
import { Machine } from '../lab/machine.js';
import { CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_SYNC, CRYPTO_F_CBIMM, CRYPTO_NULL_CBC } from '../framework/constants.js';
import { cryptoini, type cryptop } from '../framework/structs.js';
import type { cryptodev_methods } from '../framework/drivers.js';
import { rate, type BenchResult } from './harness.js';

export function frameworkBench(): BenchResult[] {
  const m = new Machine({ seed: 1 });
  const methods: cryptodev_methods = {
    cryptodev_newsession: (_d, sidp) => {
      sidp.lid = 1;
      return 0;
    },
    cryptodev_freesession: () => 0,
    cryptodev_process: (_d, crp) => {
      m.crypto.crypto_done(crp);
      return 0;
    },
  };
  const hid = m.crypto.crypto_get_driverid({ nameunit: 'null0', name: 'null', driver: { methods } }, CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SYNC);
  m.crypto.crypto_register(hid, CRYPTO_NULL_CBC, 0, 0);
  const { sid } = m.crypto.crypto_newsession(new cryptoini({ cri_alg: CRYPTO_NULL_CBC }), hid);
  let callbacks = 0;
  const crp = m.crypto.crypto_getreq(1)!;
  crp.crp_sid = sid;
  crp.crp_flags = CRYPTO_F_CBIMM;
  crp.crp_buf = new Uint8Array(64);
  crp.crp_desc!.crd_alg = CRYPTO_NULL_CBC;
  crp.crp_callback = (_c: cryptop) => {
    callbacks++;
  };
  const BATCH = 100_000;
  const r = rate(() => {
    for (let i = 0; i < BATCH; i++) m.crypto.crypto_dispatch(crp);
    return BATCH;
  });
  if (callbacks === 0 || m.violations.all.length > 0) throw new Error('framework bench: no callbacks or violations');
  return [{ name: 'framework null request (dispatch→sync driver→callback)', value: r, unit: 'req/s', target: 1_000_000 }];
}
