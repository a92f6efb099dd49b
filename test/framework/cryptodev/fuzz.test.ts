/**
 * Fuzz: random sequences of /dev/crypto ioctls with random structure contents (well-formed ones
 * with one field mutated, and junk), on a machine with cryptosoft0, a hardware card that
 * completes later (and may be ejected mid-sequence, so sessions migrate), and a hardware driver
 * that accepts every algorithm; sysctls flip between calls.
 *
 * Property: every call either succeeds or fails with a CryptodevError whose errno is one this
 * ioctl documents (docs/cryptodev.md); no other exception escapes; and once the descriptor is
 * closed and the machine has run, the machine is consistent (no request in flight, no violation,
 * kernel buffers freed, every driver's session count back to zero, no tombstone left).
 *
 * Runs: OCFSIM_FUZZ_RUNS (default 10^4; `npm run fuzz` sets 10^5). A failure prints fast-check's
 * seed and path; replay with OCFSIM_FUZZ_SEED and OCFSIM_FUZZ_PATH.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CRK_MOD_EXP,
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_NIST_GCM_16,
  CRYPTO_AES_XTS,
  CRYPTO_ARC4,
  CRYPTO_NULL_HMAC,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA2_256_HMAC,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  E2BIG,
  EBADMSG,
  EFAULT,
  EFBIG,
  EINVAL,
  ENODEV,
  ENOENT,
  ENOMEM,
  EPERM,
} from '../../../framework/constants.js';
import { CRYPTODEV_CIPHERS, CRYPTODEV_MACS } from '../../../framework/cryptodev-algs.js';
import {
  CIOCASYMFEAT,
  CIOCCRYPT,
  CIOCCRYPTAEAD,
  CIOCFINDDEV,
  CIOCFSESSION,
  CIOCGSESSION,
  CIOCGSESSION2,
  CIOCKEY,
  CIOCKEY2,
  COP_F_BATCH,
  CRIOGET,
  CRYPTODEV_MAX_LEN,
  EBADF,
  ioctlName,
} from '../../../framework/cryptodev-structs.js';
import { CryptodevError, cryptodev_consistency } from '../../../framework/cryptodev.js';
import { FakeDriver } from '../fixture.js';
import { TestCard, US, bytes, fixtureOf, machine } from './helpers.js';

const RUNS = Number(process.env.OCFSIM_FUZZ_RUNS ?? 10_000);
const SEED = process.env.OCFSIM_FUZZ_SEED !== undefined ? Number(process.env.OCFSIM_FUZZ_SEED) : undefined;
const PATH = process.env.OCFSIM_FUZZ_PATH;

/** The errnos each ioctl may end with (docs/cryptodev.md, "Errors"). */
const DOCUMENTED: Readonly<Record<number, readonly number[]>> = {
  [CIOCGSESSION]: [EINVAL, EFAULT],
  [CIOCGSESSION2]: [EINVAL, EFAULT],
  [CIOCFSESSION]: [EINVAL],
  [CIOCCRYPT]: [EINVAL, E2BIG, EFAULT, EBADMSG, ENOENT, ENOMEM],
  [CIOCCRYPTAEAD]: [EINVAL, E2BIG, EFAULT, EBADMSG, ENOENT, ENOMEM],
  [CIOCKEY]: [EPERM, EFBIG, EINVAL, EFAULT, ENODEV, E2BIG, EBADMSG],
  [CIOCKEY2]: [EPERM, EFBIG, EINVAL, EFAULT, ENODEV, E2BIG, EBADMSG],
  [CIOCASYMFEAT]: [],
  [CIOCFINDDEV]: [EINVAL, ENOENT, EFAULT],
};

// ---- arbitraries ---------------------------------------------------------------------------

/** A pointer: NULL, junk, an array of a given size, or one sized from the struct's `len` ('fit'). */
type Ptr = null | 'junk' | 'fit' | 'short' | { size: number };
const ptrArb: fc.Arbitrary<Ptr> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Ptr>('fit') },
  { weight: 2, arbitrary: fc.constant<Ptr>(null) },
  { weight: 1, arbitrary: fc.constant<Ptr>('short') },
  { weight: 1, arbitrary: fc.constant<Ptr>('junk') },
  { weight: 1, arbitrary: fc.nat(80).map((size): Ptr => ({ size })) },
);

const intJunk = fc.constantFrom<unknown>(undefined, null, -1, 2 ** 32 - 1, 2 ** 31, 1.5, Number.NaN, '16', 16n);
const u32Arb = fc.oneof(fc.nat(0xffffffff), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));

const algArb = (valid: number[]) =>
  fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(0, 13, 17, 24, 29, 99) }, { weight: 1, arbitrary: u32Arb });

const lenArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(0, 1, 4, 8, 12, 15, 16, 17, 32, 48, 64, 100, 128) },
  { weight: 2, arbitrary: fc.constantFrom(CRYPTODEV_MAX_LEN, CRYPTODEV_MAX_LEN + 1, 2 ** 32 - 1, 2 ** 16) },
  { weight: 4, arbitrary: fc.nat(300) },
  { weight: 1, arbitrary: intJunk },
);

const keylenArb = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(0, 5, 8, 10, 16, 20, 24, 32, 48, 56, 64) }, { weight: 3, arbitrary: fc.nat(300) }, { weight: 1, arbitrary: intJunk });

/** Driver ids on the fuzz machine: 0 cryptosoft0, 1 testcard0, 2 fake0. */
const cridArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE, 1, 2) },
  { weight: 3, arbitrary: fc.constantFrom(CRYPTOCAP_F_SOFTWARE, 0, 3, -1) },
  { weight: 1, arbitrary: u32Arb },
);

const sesArb = fc.oneof({ weight: 16, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: u32Arb }, { weight: 1, arbitrary: intJunk });

type Op =
  | { kind: 'ioctl'; cmd: number; fields: Record<string, unknown> | null; junk?: unknown }
  | { kind: 'eject' }
  | { kind: 'sysctl'; name: 'kern.cryptodevallowsoft' | 'kern.userasymcrypto'; value: number }
  | { kind: 'close' };

const sessionArb = fc.record({
  cipher: algArb([...CRYPTODEV_CIPHERS.keys()]),
  mac: fc.oneof(fc.constant(0), algArb([...CRYPTODEV_MACS.keys()])),
  keylen: keylenArb,
  key: ptrArb,
  mackeylen: keylenArb,
  mackey: ptrArb,
  crid: cridArb,
});

const cryptArb = fc.record({
  ses: sesArb,
  op: fc.oneof(fc.constantFrom(0, 1, 2), fc.nat(0xffff)),
  flags: fc.oneof(fc.constantFrom(0, COP_F_BATCH), fc.nat(0xffff)),
  len: lenArb,
  src: ptrArb,
  dst: ptrArb,
  mac: fc.oneof(fc.constant<Ptr>(null), ptrArb),
  iv: fc.oneof(fc.constant<Ptr>(null), ptrArb),
});

const aeadArb = fc.record({
  ses: sesArb,
  op: fc.constantFrom(0, 1, 2, 7),
  flags: fc.constantFrom(0, COP_F_BATCH),
  len: lenArb,
  aadlen: lenArb,
  ivlen: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(0, 8, 12, 12, 16, 17) }, { weight: 1, arbitrary: intJunk }),
  src: ptrArb,
  dst: ptrArb,
  aad: ptrArb,
  tag: ptrArb,
  iv: ptrArb,
});

/** Close to a call that works: whole blocks, buffers that fit, a live session number. */
const cryptGoodArb = fc.record({
  ses: fc.constantFrom(0, 0, 1, 2),
  op: fc.constantFrom(1, 2),
  flags: fc.constantFrom(0, COP_F_BATCH),
  len: fc.constantFrom(16, 32, 64, 256, 4096),
  src: fc.constant<Ptr>('fit'),
  dst: fc.constantFrom<Ptr>('fit', null),
  mac: fc.constantFrom<Ptr>('fit', null),
  iv: fc.constantFrom<Ptr>('fit', null),
});
const aeadGoodArb = fc.record({
  ses: fc.constantFrom(0, 0, 1, 2),
  op: fc.constantFrom(1, 2),
  len: fc.constantFrom(0, 16, 32, 100),
  aadlen: fc.constantFrom(0, 8, 20),
  ivlen: fc.constantFrom(12, 16),
  src: fc.constant<Ptr>('fit'),
  dst: fc.constant<Ptr>('fit'),
  aad: fc.constant<Ptr>('fit'),
  tag: fc.constant<Ptr>('fit'),
  iv: fc.constant<Ptr>('fit'),
});
const kopGoodArb = fc.record({
  crk_op: fc.constantFrom(0, 0, 1, 2, 3, 4),
  crk_iparams: fc.constant(3),
  crk_oparams: fc.constant(1),
  crk_crid: fc.constantFrom(CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE, 0, 1),
  crk_param: fc.array(fc.record({ crp_p: fc.constant<Ptr>('fit'), crp_nbits: fc.constantFrom(16, 64, 128) }), { minLength: 4, maxLength: 4 }),
});

const nbitsArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0, 1, 8, 17, 64, 128) },
  { weight: 1, arbitrary: fc.constantFrom(8193, 65536, 65537) },
  { weight: 1, arbitrary: intJunk },
);
const kopArb = fc.record({
  crk_op: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5), u32Arb),
  crk_iparams: fc.oneof({ weight: 10, arbitrary: fc.nat(9) }, { weight: 1, arbitrary: intJunk }),
  crk_oparams: fc.oneof(fc.nat(3), fc.nat(0xffff)),
  crk_crid: cridArb,
  crk_param: fc.oneof(
    { weight: 9, arbitrary: fc.array(fc.record({ crp_p: ptrArb, crp_nbits: nbitsArb }), { maxLength: 9 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'junk', 3) },
  ),
});

const findArb = fc.record({
  crid: fc.oneof(fc.constantFrom(-1, 0, 1, 2, 99), u32Arb),
  name: fc.oneof(fc.constantFrom<unknown>('', 'crypto', 'cryptosoft0', 'testcard', 'fake', 'nope', 'a\0b', 'x'.repeat(40), undefined, 7)),
});

const junkArg = fc.constantFrom<unknown>(null, undefined, 5, 'str', [], Symbol('x'));

const ioctlArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: sessionArb.map((f): Op => ({ kind: 'ioctl', cmd: CIOCGSESSION2, fields: f })) },
  { weight: 1, arbitrary: sessionArb.map((f): Op => ({ kind: 'ioctl', cmd: CIOCGSESSION, fields: f })) },
  { weight: 1, arbitrary: sesArb.map((ses): Op => ({ kind: 'ioctl', cmd: CIOCFSESSION, fields: null, junk: ses })) },
  { weight: 4, arbitrary: cryptArb.map((f): Op => ({ kind: 'ioctl', cmd: CIOCCRYPT, fields: f })) },
  { weight: 4, arbitrary: cryptGoodArb.map((f): Op => ({ kind: 'ioctl', cmd: CIOCCRYPT, fields: f })) },
  { weight: 2, arbitrary: aeadArb.map((f): Op => ({ kind: 'ioctl', cmd: CIOCCRYPTAEAD, fields: f })) },
  { weight: 2, arbitrary: aeadGoodArb.map((f): Op => ({ kind: 'ioctl', cmd: CIOCCRYPTAEAD, fields: f })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(CIOCKEY, CIOCKEY2), kopArb).map(([cmd, f]): Op => ({ kind: 'ioctl', cmd, fields: f })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(CIOCKEY, CIOCKEY2), kopGoodArb).map(([cmd, f]): Op => ({ kind: 'ioctl', cmd, fields: f })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'ioctl', cmd: CIOCASYMFEAT, fields: null }) },
  { weight: 1, arbitrary: findArb.map((f): Op => ({ kind: 'ioctl', cmd: CIOCFINDDEV, fields: f })) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.constant(CRIOGET), u32Arb), junkArg).map(([cmd, junk]): Op => ({ kind: 'ioctl', cmd, fields: null, junk })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(CIOCGSESSION2, CIOCCRYPT, CIOCCRYPTAEAD, CIOCKEY2, CIOCFINDDEV), junkArg)
      .map(([cmd, junk]): Op => ({ kind: 'ioctl', cmd, fields: null, junk })),
  },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 20, arbitrary: ioctlArb },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'eject' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'close' }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('kern.cryptodevallowsoft' as const, 'kern.userasymcrypto' as const), fc.nat(1))
      .map(([name, value]): Op => ({ kind: 'sysctl', name, value })),
  },
);

/** Well-formed sessions first, so that later calls often reach a driver. */
const prologueArb = fc.array(
  fc.constantFrom<Op>(
    { kind: 'ioctl', cmd: CIOCGSESSION2, fields: { cipher: CRYPTO_AES_CBC, keylen: 16, key: 'fit', mac: CRYPTO_SHA2_256_HMAC, mackeylen: 32, mackey: 'fit', crid: CRYPTOCAP_F_HARDWARE } },
    { kind: 'ioctl', cmd: CIOCGSESSION2, fields: { cipher: CRYPTO_AES_NIST_GCM_16, keylen: 16, key: 'fit', mac: CRYPTO_AES_128_NIST_GMAC, mackeylen: 16, mackey: 'fit', crid: 0 } },
    { kind: 'ioctl', cmd: CIOCGSESSION2, fields: { cipher: CRYPTO_AES_NIST_GCM_16, keylen: 16, key: 'fit', mac: CRYPTO_AES_128_NIST_GMAC, mackeylen: 16, mackey: 'fit', crid: CRYPTOCAP_F_HARDWARE } },
    { kind: 'ioctl', cmd: CIOCGSESSION2, fields: { cipher: CRYPTO_AES_XTS, keylen: 32, key: 'fit', crid: CRYPTOCAP_F_SOFTWARE } },
    { kind: 'ioctl', cmd: CIOCGSESSION2, fields: { cipher: CRYPTO_AES_CBC, keylen: 32, key: 'fit', mac: CRYPTO_SHA1_HMAC, mackeylen: 20, mackey: 'fit', crid: 0 } },
    { kind: 'ioctl', cmd: CIOCGSESSION2, fields: { cipher: CRYPTO_ARC4, keylen: 16, key: 'fit', mac: CRYPTO_NULL_HMAC, crid: CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE } },
    { kind: 'ioctl', cmd: CIOCGSESSION, fields: { mac: CRYPTO_SHA1_HMAC, mackeylen: 20, mackey: 'fit' } },
  ),
  { minLength: 1, maxLength: 3 },
);

const caseArb = fc.record({
  allowsoft: fc.oneof({ weight: 2, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(0) }),
  prologue: prologueArb,
  ops: fc.array(opArb, { minLength: 1, maxLength: 8 }),
});

// ---- execution -----------------------------------------------------------------------------

/** Program memory is cut from this (a copy each time, so a case never sees another's writes). */
const FILL = bytes(CRYPTODEV_MAX_LEN + 64, 99);

/** Turn a pointer spec into what the program passes, given the struct's `len`-like size. */
function pointer(p: unknown, want: number): unknown {
  const n = Number.isInteger(want) && want >= 0 && want <= CRYPTODEV_MAX_LEN + 64 ? want : 64;
  if (p === 'fit') return FILL.slice(0, Math.max(n, 64));
  if (p === 'short') return FILL.slice(0, Math.max(0, n - 1));
  if (p === 'junk') return 'not a pointer';
  if (p !== null && typeof p === 'object' && 'size' in p) return FILL.slice(0, (p as { size: number }).size);
  return p;
}

function materialise(cmd: number, f: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = { ...f };
  const len = typeof f.len === 'number' ? f.len : 0;
  for (const [name, want] of Object.entries({ key: f.keylen, mackey: f.mackeylen, src: len, dst: len, mac: 64, iv: cmd === CIOCCRYPTAEAD ? f.ivlen : 16, aad: f.aadlen, tag: 64 })) {
    if (name in o) o[name] = pointer(o[name], typeof want === 'number' ? want : 0);
  }
  if (Array.isArray(f.crk_param)) {
    o.crk_param = (f.crk_param as { crp_p: unknown; crp_nbits: unknown }[]).map((p) => ({
      crp_p: pointer(p.crp_p, typeof p.crp_nbits === 'number' ? (p.crp_nbits + 7) >>> 3 : 0),
      crp_nbits: p.crp_nbits,
    }));
  }
  return o;
}

function runCase(c: { allowsoft: number; prologue: Op[]; ops: Op[] }): void {
  // 640 KiB: room for the largest request (CIOCCRYPTAEAD with len and aadlen at 262140, 129 pages).
  const m = machine({ allowsoft: c.allowsoft, memoryBytes: 640 << 10 });
  const card = new TestCard(m, { delayPs: 5 * US, kalgs: [CRK_MOD_EXP] }).attach();
  const fake = new FakeDriver(fixtureOf(m), 'fake', { kind: 'later', delayPs: 3 * US });
  fake.attach(CRYPTOCAP_F_HARDWARE, [...CRYPTODEV_CIPHERS.keys(), ...CRYPTODEV_MACS.keys()]);
  const baseBlocks = m.mem.liveBlocks;
  const fd = m.cryptodev();
  let ejected = false;
  for (const op of [...c.prologue, ...c.ops]) {
    if (op.kind === 'eject') {
      if (!ejected) card.eject();
      ejected = true;
      continue;
    }
    if (op.kind === 'sysctl') {
      m.sysctl(op.name, op.value);
      continue;
    }
    if (op.kind === 'close') {
      if (!fd.closed) fd.close();
      continue;
    }
    const arg = op.fields ? materialise(op.cmd, op.fields) : op.junk;
    try {
      fd.ioctlSync(op.cmd, arg);
    } catch (e) {
      if (!(e instanceof CryptodevError)) throw e;
      const allowed = fd.closed ? [EBADF] : (DOCUMENTED[op.cmd] ?? [EINVAL]);
      if (!allowed.includes(e.errno)) throw new Error(`${ioctlName(op.cmd)} failed with undocumented ${e.code}: ${e.message}`);
    }
  }
  if (!fd.closed) fd.close();
  m.run();
  const problems = cryptodev_consistency(m, { exclusive: true });
  if (m.cryptosoft.sessions.live !== 0) problems.push(`cryptosoft still holds ${m.cryptosoft.sessions.live} session(s)`);
  if (card.sessions.size !== 0) problems.push(`the card still holds ${card.sessions.size} session(s)`);
  if (fake.sessions.size !== 0) problems.push(`the fake driver still holds ${fake.sessions.size} session(s)`);
  if (m.mem.liveBlocks !== baseBlocks) problems.push(`${m.mem.liveBlocks - baseBlocks} kernel memory block(s) leaked`);
  if (problems.length > 0) throw new Error(`inconsistent after the case:\n${problems.join('\n')}`);
}

describe('fuzz', () => {
  it(
    `every outcome of ${RUNS} random ioctl sequences is success or a documented errno, and the machine stays consistent`,
    () => {
      fc.assert(fc.property(caseArb, runCase), {
        numRuns: RUNS,
        ...(SEED !== undefined ? { seed: SEED } : {}),
        ...(PATH !== undefined ? { path: PATH } : {}),
      });
      expect(RUNS).toBeGreaterThan(0);
    },
    Math.max(60_000, RUNS * 20),
  );
});
