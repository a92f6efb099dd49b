/**
 * Lab 1 — follow one request (starter; docs/labs/01-follow-one-request.md). Fill in the TODOs,
 * then run `npx ocfsim lab check 1 labs/01-follow-one-request/follow.ts`.
 *
 * `dispatchOne` is a tiny kernel consumer: a thread that opens an AES-128-CBC session on the card,
 * dispatches one request on an mbuf and reports the ciphertext from its callback. `stageTimes`
 * answers the lab's question by code: when did the request reach each stage, read from the trace.
 */
import { CRD_F_ENCRYPT, CRD_F_IV_EXPLICIT, CRD_F_IV_PRESENT, CRYPTOCAP_F_HARDWARE, CRYPTO_AES_CBC, CRYPTO_F_IMBUF } from '../../framework/constants.js';
import { cryptoini } from '../../framework/structs.js';
import { Priority } from '../../sim/cpu.js';
import { m_copydata, m_fromBytes } from '../../sim/mbuf.js';
import type { TraceEvent } from '../../sim/trace.js';
import type { Machine } from '../../lab/machine.js';
import type { Lab1Result, Lab1StageTimes, Lab1Vector } from '../../lab/labcheck-lab1.js';

export function dispatchOne(m: Machine, v: Lab1Vector, done: (r: Lab1Result) => void): void {
  // TODO 1: spawn a kernel thread (m.scheduler.spawn('lab1 consumer', Priority.Kernel, function* () { ... })) that
  //   - creates an AES-128-CBC session on the card: crypto_newsession(new cryptoini({...}), CRYPTOCAP_F_HARDWARE);
  //   - puts v.plaintext in an mbuf (m_fromBytes) and fills one request: crp_sid, crp_flags = CRYPTO_F_IMBUF,
  //     crp_buf, crp_ilen, and its descriptor (crd_alg, crd_len, crd_flags = CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT |
  //     CRD_F_IV_PRESENT, crd_iv = v.iv);
  //   - sets crp_callback to read the ciphertext back (m_copydata) and call done({ reqid: c.crp_reqid, ... });
  //   - calls crypto_dispatch.
  void [m, v, done, cryptoini, Priority, m_copydata, m_fromBytes, CRD_F_ENCRYPT, CRD_F_IV_EXPLICIT, CRD_F_IV_PRESENT, CRYPTOCAP_F_HARDWARE, CRYPTO_AES_CBC, CRYPTO_F_IMBUF];
}

export function stageTimes(events: readonly TraceEvent[], req: number, device: string): Lab1StageTimes {
  // TODO 2: find each stage of request `req` in `events` (docs/labs/01-follow-one-request.md lists
  // the event kinds). Run `npx ocfsim lab check 1 ... --trace out.json` and open out.json in
  // ui.perfetto.dev to see them. -1 means "not found".
  void [events, req, device];
  return { dispatch: -1, invoke: -1, posted: -1, fetched: -1, dmaIn: -1, engine: -1, dmaOut: -1, writeBack: -1, interrupt: -1, completed: -1, done: -1, callback: -1 };
}
