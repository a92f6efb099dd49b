/**
 * Planted bugs: the hifn driver with one classic mistake switched on (HifnBugs). The sandbox must
 * catch each one and name it. The correct driver, on the same workload, is clean.
 */
import { describe, expect, it } from 'vitest';
import { CRYPTOCAP_F_HARDWARE, CRYPTO_3DES_CBC, CRYPTO_SHA1_HMAC } from '../../../framework/constants.js';
import type { cryptop } from '../../../framework/structs.js';
import type { HifnBugs } from '../../../devices/hifn/index.js';
import { MS, boot, consumer, fillRequest, makeBuffer, sessionFor, type AlgCase, type Layout } from './harness.js';

const ESP: AlgCase = { name: '3des-sha1-96', cipher: CRYPTO_3DES_CBC, mac: CRYPTO_SHA1_HMAC, mlen: 12 };

/** A few requests through a driver with `bugs`, run for a bounded time (a buggy driver may hang). */
function workload(bugs: HifnBugs) {
  const { m } = boot({ parts: ['7751'], driver: { bugs } });
  const ck = m.prng.stream('k').bytes(24);
  const mk = m.prng.stream('k').bytes(20);
  const iv = m.prng.stream('k').bytes(8);
  const L: Layout = { hdr: 8, payload: 256, tag: 12 };
  let completed = 0;
  consumer(m, function* () {
    const { sid } = m.crypto.crypto_newsession(sessionFor(ESP, ck, mk), CRYPTOCAP_F_HARDWARE);
    for (let i = 0; i < 6; i++) {
      const b = makeBuffer(m, i % 2 ? 'uio' : 'mbuf', m.prng.stream('d').bytes(L.hdr + L.payload + L.tag));
      const crp = m.crypto.crypto_getreq(2)!;
      crp.crp_sid = sid;
      crp.crp_flags = b.flags;
      crp.crp_buf = b.buf;
      fillRequest(crp, ESP, L, ck, mk, iv);
      crp.crp_callback = (_c: cryptop) => {
        completed++;
      };
      m.crypto.crypto_dispatch(crp);
    }
  });
  m.runUntil(m.now + 100 * MS);
  return { m, completed };
}

describe('planted driver bugs are caught and named', () => {
  it('the correct driver runs the same workload with no violation', () => {
    const { m, completed } = workload({});
    expect(completed).toBe(6);
    expect(m.violationReport()).toBe('');
  });

  const cases: [string, HifnBugs, string][] = [
    ['forgetting the BUS_DMASYNC_PREWRITE sync of the source buffer', { skipPrewrite: true }, 'dma-read-before-prewrite'],
    ['setting VALID on a descriptor before filling it in', { validBeforeFill: true }, 'dma-outside-map'],
    ['never acknowledging the interrupt (DMA_CSR status never written back)', { noInterruptAck: true }, 'interrupt-storm'],
    ['unloading a map the card is still reading', { unloadWhileBusy: true }, 'dma-outside-map'],
  ];
  for (const [what, bugs, kind] of cases) {
    it(`catches ${what} as ${kind}`, () => {
      const { m } = workload(bugs);
      const v = m.violations.all.find((x) => x.kind === kind);
      expect(v, m.violationReport()).toBeDefined();
      expect(v!.device ?? '').toMatch(/^hifn0|irq/);
      expect(v!.t).toBeGreaterThan(0);
    });
  }
});
