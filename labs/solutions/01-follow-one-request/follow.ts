/**
 * Lab 1 — follow one request (reference solution; docs/labs/01-follow-one-request.md).
 *
 * `dispatchOne` is a tiny kernel consumer: a thread that opens an AES-128-CBC session on the card,
 * dispatches one request on an mbuf and reports the ciphertext from its callback. `stageTimes`
 * answers the lab's question by code: when did the request reach each stage, read from the trace.
 */
import { CRD_F_ENCRYPT, CRD_F_IV_EXPLICIT, CRD_F_IV_PRESENT, CRYPTOCAP_F_HARDWARE, CRYPTO_AES_CBC, CRYPTO_F_IMBUF } from '../../../framework/constants.js';
import { cryptoini } from '../../../framework/structs.js';
import { Priority } from '../../../sim/cpu.js';
import { m_copydata, m_fromBytes } from '../../../sim/mbuf.js';
import type { TraceEvent } from '../../../sim/trace.js';
import type { Machine } from '../../../lab/machine.js';
import type { Lab1Result, Lab1StageTimes, Lab1Vector } from '../../../lab/labcheck-lab1.js';

export function dispatchOne(m: Machine, v: Lab1Vector, done: (r: Lab1Result) => void): void {
  m.scheduler.spawn('lab1 consumer', Priority.Kernel, function* () {
    const cri = new cryptoini({ cri_alg: CRYPTO_AES_CBC, cri_klen: 128, cri_key: v.key });
    const { error, sid } = m.crypto.crypto_newsession(cri, CRYPTOCAP_F_HARDWARE);
    if (error !== 0) return done({ reqid: 0, etype: error, ciphertext: new Uint8Array(0) });
    const len = v.plaintext.length;
    const buf = m_fromBytes(m.mem, v.plaintext);
    const crp = m.crypto.crypto_getreq(1)!;
    crp.crp_sid = sid;
    crp.crp_flags = CRYPTO_F_IMBUF;
    crp.crp_buf = buf;
    crp.crp_ilen = len;
    const crd = crp.crp_desc!;
    crd.crd_alg = CRYPTO_AES_CBC;
    crd.crd_len = len;
    crd.crd_flags = CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT;
    crd.crd_iv = v.iv;
    crp.crp_callback = (c) => {
      const ciphertext = new Uint8Array(len);
      m_copydata(buf, 0, len, ciphertext);
      done({ reqid: c.crp_reqid, etype: c.crp_etype, ciphertext });
    };
    m.crypto.crypto_dispatch(crp);
    yield* [];
  });
}

export function stageTimes(events: readonly TraceEvent[], req: number, device: string): Lab1StageTimes {
  const mine = events.filter((e) => e.req === req);
  const t = (kind: string): number => mine.find((e) => e.kind === kind)?.t ?? -1;
  const wb = mine.find((e) => e.kind === 'stage.writeBack');
  const wbEnd = wb ? wb.t + (wb.dur ?? 0) : Infinity;
  // The interrupt carries no request id: it is the first run of the device's handler after the
  // card wrote the descriptor back.
  const irq = events.find((e) => e.kind === 'intr.handler' && e.where === device && e.t >= wbEnd);
  return {
    dispatch: t('crypto.dispatch'),
    invoke: t('crypto.invoke'),
    posted: t('edu.post'),
    fetched: t('desc.fetched'),
    dmaIn: t('stage.dmaIn'),
    engine: t('stage.engine'),
    dmaOut: t('stage.dmaOut'),
    writeBack: t('stage.writeBack'),
    interrupt: irq?.t ?? -1,
    completed: t('edu.complete'),
    done: t('crypto.done'),
    callback: t('crypto.callback'),
  };
}
