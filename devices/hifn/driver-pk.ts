/**
 * hifn kprocess: CRK_MOD_EXP on the 7951/7955/7956 public-key unit, which FreeBSD never drove
 * (it only mmapped BAR1 for user space, hw.md §2.11). The protocol follows the OCF-Linux "Vulcan"
 * enhanced mode as hw.md §2.11 describes it, with the operand layout this model defines:
 *
 *   PUB_MEM + 0      A: the base, replaced by the result
 *   PUB_MEM + c      B: the exponent
 *   PUB_MEM + 2c     M: the modulus
 *   PUB_MEM + 3c     the Barrett reciprocal floor(2^(64k) / M), which the host supplies
 * where k is the modulus length in 32-bit words and c = k + 1 words rounded up to 64 bytes. The
 * operands are written and the result read with 32-bit MMIO (little-endian words); the operation
 * starts with a write of OPLEN then OP to the enhanced-mode FIFO and ends with the PUBDONE
 * interrupt. One operation at a time: a second one gets ERESTART and the ASYMQ is unblocked when
 * the first completes.
 *
 * Deliberate differences: OCF-Linux makes the caller pass the reciprocal as a fourth input; the
 * driver computes it (BigInt division, charged as host cycles). No 1 s watchdog: a stuck PK engine
 * (bad reciprocal) keeps its request until detach completes it with EAGAIN.
 */
import { CRK_MOD_EXP, CRYPTO_ASYMQ, E2BIG, EINVAL, ERESTART } from '../../framework/constants.js';
import { crparamToBigInt, type cryptkop } from '../../framework/structs.js';
import {
  HIFN_1_PUB_FIFO_OP,
  HIFN_1_PUB_FIFO_OPLEN,
  HIFN_1_PUB_MEM,
  HIFN_PUBOPLEN_EXPLEN,
  HIFN_PUBOPLEN_MODLEN,
  HIFN_PUBOP_AOFFSET,
  HIFN_PUBOP_BOFFSET,
  HIFN_PUBOP_MOFFSET,
  HIFN_PUBOP_OP_MODEXP,
  HIFN_PUB_MEM_SIZE,
} from './regs.js';
import { HIFN_DRIVER_CYCLES as C, HIFN_HAS_PUBLIC, READ_REG_1, WRITE_REG_1, charge, type HifnSoftc } from './driver-softc.js';

/** The largest modulus the driver hands the unit: 64 words, whose four operands fill PUB_MEM. */
export const HIFN_PK_MAX_BITS = 2048;

const bitLength = (v: bigint): number => (v === 0n ? 0 : v.toString(2).length);

/** Operand slot size in bytes for a `k`-word modulus (room for the (k+1)-word reciprocal). */
export function hifnPkChunk(k: number): number {
  return Math.ceil(((k + 1) * 4) / 64) * 64;
}

function writeOperand(sc: HifnSoftc, off: number, v: bigint, words: number): void {
  let x = v;
  for (let w = 0; w < words; w++, x >>= 32n) WRITE_REG_1(sc, HIFN_1_PUB_MEM + off + 4 * w, Number(x & 0xffffffffn));
}

/** hifn_kprocess: CRK_MOD_EXP only. */
export function hifn_kprocess(sc: HifnSoftc, krp: cryptkop): number {
  const done = (status: number): number => {
    krp.krp_status = status;
    sc.crypto.crypto_kdone(krp);
    return 0;
  };
  if (!(sc.sc_flags & HIFN_HAS_PUBLIC) || sc.detaching) return done(EINVAL);
  if (krp.krp_op !== CRK_MOD_EXP || krp.krp_iparams !== 3 || krp.krp_oparams !== 1) return done(EINVAL);
  if (sc.pkBusy) {
    sc.sc_needwakeup |= CRYPTO_ASYMQ;
    return ERESTART;
  }
  for (let i = 0; i < 3; i++) if (krp.krp_param[i]!.crp_p.length < krp.krp_param[i]!.byteLength) return done(EINVAL);
  const base = crparamToBigInt(krp.krp_param[0]!);
  const exp = crparamToBigInt(krp.krp_param[1]!);
  const m = crparamToBigInt(krp.krp_param[2]!);
  const mbits = bitLength(m);
  if (m === 0n) return done(EINVAL);
  if (mbits > HIFN_PK_MAX_BITS || bitLength(exp) > HIFN_PK_MAX_BITS) return done(E2BIG);
  const out = krp.krp_param[3]!;
  const outBits = krp.krp_param[2]!.crp_nbits;
  if (out.crp_nbits === 0 && out.crp_p.length === 0) {
    out.crp_nbits = outBits;
    out.crp_p = new Uint8Array((outBits + 7) >> 3);
  }
  if (out.crp_p.length < out.byteLength || out.byteLength < ((outBits + 7) >> 3)) return done(E2BIG);
  const k = Math.max(1, Math.ceil(mbits / 32));
  const chunk = hifnPkChunk(k);
  // Four operand slots must fit PUB_MEM, and the exponent its slot.
  if (4 * chunk > HIFN_PUB_MEM_SIZE || bitLength(exp) > 8 * chunk) return done(E2BIG);
  // The host's part: reduce the base and compute the Barrett reciprocal (one long division).
  const recip = (1n << BigInt(64 * k)) / m;
  charge(sc, 400 + 3 * k * k);
  const words = chunk / 4;
  writeOperand(sc, 0, base % m, words);
  writeOperand(sc, chunk, exp, words);
  writeOperand(sc, 2 * chunk, m, words);
  writeOperand(sc, 3 * chunk, recip, words);
  const explen = Math.max(1, bitLength(exp));
  WRITE_REG_1(sc, HIFN_1_PUB_FIFO_OPLEN, (k & HIFN_PUBOPLEN_MODLEN) | (((explen - 1) << 7) & HIFN_PUBOPLEN_EXPLEN));
  // Offsets in 32-byte units: A at 0, B one slot up, M two (the reciprocal follows M).
  const aoff = 0;
  const op = HIFN_PUBOP_OP_MODEXP | ((aoff / 32) & HIFN_PUBOP_AOFFSET) | (((chunk / 32) << 6) & HIFN_PUBOP_BOFFSET) | ((((2 * chunk) / 32) << 12) & HIFN_PUBOP_MOFFSET);
  WRITE_REG_1(sc, HIFN_1_PUB_FIFO_OP, op >>> 0);
  sc.pkBusy = krp;
  sc.pkDone = () => {
    // Read the result back from A, word by word (each a non-posted MMIO read).
    let v = 0n;
    for (let w = k - 1; w >= 0; w--) v = (v << 32n) | BigInt(READ_REG_1(sc, HIFN_1_PUB_MEM + 4 * w));
    let x = v;
    for (let i = 0; i < out.byteLength; i++, x >>= 8n) out.crp_p[i] = Number(x & 0xffn);
    charge(sc, C.copyPerByte * out.byteLength);
    krp.krp_status = x === 0n ? 0 : E2BIG;
  };
  return 0;
}

/** From hifn_intr on PUBDONE: finish the operation on the unit. */
export function hifn_pk_intr(sc: HifnSoftc): void {
  const krp = sc.pkBusy;
  if (!krp) return;
  sc.pkDone?.();
  sc.pkBusy = null;
  sc.pkDone = null;
  sc.crypto.crypto_kdone(krp);
}

/** Detach: the operation still on the unit (if any) completes with `status`. */
export function hifnFlushPk(sc: HifnSoftc, status: number): number {
  const krp = sc.pkBusy;
  if (!krp) return 0;
  sc.pkBusy = null;
  sc.pkDone = null;
  krp.krp_status = status;
  sc.crypto.crypto_kdone(krp);
  return 1;
}
