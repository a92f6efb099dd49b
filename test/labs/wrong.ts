/**
 * Deliberately wrong solutions of the labs, each written as a small patch of a reference solution
 * (so that what is wrong is the only difference), with the explanation the grader must give.
 * labs.test.ts writes each patched file next to this one (same depth, so the relative imports
 * still resolve), loads it by path as `ocfsim lab check` does, and grades it.
 */
export interface WrongSolution {
  lab: number;
  /** What the student got wrong. */
  name: string;
  /** The reference solution patched. */
  from: string;
  /** [search, replacement] pairs; each search must occur in the file. */
  patch: readonly (readonly [string, string])[];
  /** The failing check and its explanation. */
  check: RegExp;
  detail: RegExp;
}

const L1 = 'labs/solutions/01-follow-one-request/follow.ts';
const L2 = 'labs/solutions/02-polling/driver.ts';
const L3 = 'labs/solutions/03-interrupts/driver.ts';
const L4 = 'labs/solutions/04-ring/driver.ts';
const L5 = 'labs/solutions/05-eject/driver.ts';
const L6 = 'labs/solutions/06-keys/driver.ts';

export const WRONG: readonly WrongSolution[] = [
  {
    lab: 1, name: 'reads the end of the DMA-in span instead of its start', from: L1,
    patch: [["dmaIn: t('stage.dmaIn'),", "dmaIn: (mine.find((e) => e.kind === 'stage.dmaIn')?.t ?? 0) + (mine.find((e) => e.kind === 'stage.dmaIn')?.dur ?? 0),"]],
    check: /every stage/, detail: /stage dmaIn: you said t=.*the trace says t=.*start of stage\.dmaIn of request 1/,
  },
  {
    lab: 1, name: 'asks for a software driver', from: L1,
    patch: [['crypto_newsession(cri, CRYPTOCAP_F_HARDWARE)', 'crypto_newsession(cri, 0x02000000)']],
    check: /dispatch one AES-CBC request/, detail: /ran on cryptosoft0, not on edu0/,
  },
  {
    lab: 1, name: 'forgets CRD_F_IV_PRESENT, so the IV is written over the plaintext', from: L1,
    patch: [['CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT;', 'CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT;']],
    check: /ciphertext/, detail: /request 1 returned wrong bytes/,
  },
  {
    lab: 2, name: 'never syncs the data map PREWRITE', from: L2,
    patch: [['  dma.bus_dmamap_sync(sc.bufTag!, sc.map!, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);\n', '']],
    check: /bus_dma discipline/, detail: /the card read 0x[0-9a-f]+ at t=[\d.]+ ms from a map never synced BUS_DMASYNC_PREWRITE/,
  },
  {
    lab: 2, name: 'reads the descriptor status without a POSTREAD sync of the ring', from: L2,
    patch: [['  dma.bus_dmamap_sync(sc.ringTag!, sc.ringMap!, BUS_DMASYNC_POSTREAD | BUS_DMASYNC_POSTWRITE);\n  const status', '  const status']],
    check: /bus_dma discipline/, detail: /the CPU read 0x[0-9a-f]+ at t=.*written by the card, before BUS_DMASYNC_POSTREAD/,
  },
  {
    lab: 2, name: 'waits a fixed 20 µs instead of polling HEAD', from: L2,
    patch: [['  while (bus_space_read_4(sc.mem!, EDU_REG_RING_HEAD) !== sc.tail) {', '  sc.dev.tree.scheduler.DELAY(20);\n  while (sc.tail < 0) {']],
    check: /vectors/, detail: /returned wrong bytes|failed with/,
  },
  {
    lab: 3, name: 'never acknowledges the interrupt', from: L3,
    patch: [['  bus_space_write_4(sc.mem, EDU_REG_IACK, causes);\n', '']],
    check: /interrupts acknowledged/, detail: /interrupt not acknowledged: storm after 1000 assertions/,
  },
  {
    lab: 3, name: 'completes one descriptor per interrupt', from: L3,
    patch: [['  while (sc.rec !== head && sc.used > 0) {', '  if (sc.rec !== head && sc.used > 0) {']],
    check: /exactly once/, detail: /request \d+ was dispatched but never completed/,
  },
  {
    lab: 4, name: 'never calls crypto_unblock', from: L4,
    patch: [['    sc.crypto.crypto_unblock(sc.cid, CRYPTO_SYMQ);\n', '']],
    check: /ERESTART, then crypto_unblock/, detail: /returned ERESTART \d+ time\(s\) but never called crypto_unblock/,
  },
  {
    lab: 4, name: 'overruns the ring instead of answering ERESTART', from: L4,
    patch: [['  if (sc.used >= sc.size - 1) {', '  if (sc.used >= sc.size + 1000) {']],
    check: /ERESTART, then crypto_unblock/, detail: /process never returned ERESTART/,
  },
  {
    lab: 5, name: 'detaches without crypto_unregister_all', from: L5,
    patch: [['  if (sc.cid >= 0) sc.crypto.crypto_unregister_all(sc.cid);\n', '']],
    check: /surprise removal under load/, detail: /the driver threw in thread "crypto returns" at t=[\d.]+ ms: .*has no softc/,
  },
  {
    lab: 5, name: 'hands requests back without putting their input back', from: L5,
    patch: [['    if (!done && saved) edu_restore_region(crp, crd!, saved, dma.mem);\n', '    void saved;\n']],
    check: /under load: every request right/, detail: /returned wrong bytes/,
  },
  {
    lab: 5, name: 'fails in-flight requests with EIO instead of EAGAIN', from: L5,
    patch: [['finish(sc, crp, done ? 0 : EAGAIN);', 'finish(sc, crp, done ? 0 : EIO);']],
    check: /handed back with EAGAIN/, detail: /no request was completed with EAGAIN by detach/,
  },
  {
    lab: 6, name: 'evicts a key slot that posted requests still need', from: L6,
    patch: [['if (sc.slots[k]!.busy === 0 && (slot < 0', 'if ((slot < 0']],
    check: /evicted and reloaded/, detail: /returned wrong bytes .*was its key slot rewritten while a request still needed it\?/,
  },
  {
    lab: 6, name: 'leaves the key in the card\'s slot', from: L6,
    patch: [['    writeKey(sc, ses.slot, null);\n', '']],
    check: /wipes the key on the card/, detail: /key slot \d still holds the key of session \d+ after crypto_freesession/,
  },
  {
    lab: 6, name: 'keeps its copy of the key', from: L6,
    patch: [['  ses.key?.fill(0);\n  ses.key = null;\n  ses.used = false;', '  ses.used = false;']],
    check: /wipes the key in the driver/, detail: /the key of freed session \d+ is still in the softc at sc\.sessions\.\d+\.key/,
  },
];
