/**
 * CIOCKEY, CIOCKEY2, CIOCASYMFEAT and CIOCFINDDEV (reference/ocf.md §5.7): kern.userasymcrypto,
 * the parameter-count rules (EFBIG, EINVAL), the 65536-bit limit, the allowsoft gate on keying
 * drivers, results from a hardware card and from cryptosoft, and finding drivers by name or index.
 */
import { describe, expect, it } from 'vitest';
import {
  CRF_MOD_EXP,
  CRK_DH_COMPUTE_KEY,
  CRK_MOD_EXP,
  CRK_PARAM_COUNTS,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  EFAULT,
  EFBIG,
  EINVAL,
  ENODEV,
  ENOENT,
  EPERM,
} from '../../../framework/constants.js';
import { CIOCASYMFEAT, CIOCFINDDEV, CIOCKEY, CIOCKEY2, crypt_find_op, crypt_kop, type crparam_user } from '../../../framework/cryptodev-structs.js';
import { cryptodev_consistency } from '../../../framework/cryptodev.js';
import { TestCard, expectErrno, machine, settle } from './helpers.js';

function le(v: bigint, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++, v >>= 8n) b[i] = Number(v & 0xffn);
  return b;
}
function fromLe(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
function modPow(a: bigint, e: bigint, n: bigint): bigint {
  let r = 1n;
  for (a %= n; e > 0n; e >>= 1n, a = (a * a) % n) if (e & 1n) r = (r * a) % n;
  return r;
}

/** A CRK_MOD_EXP of 128-bit numbers: base^exp mod n, with the output param sized like n. */
function modExpKop(crid = 0): { kop: crypt_kop; out: Uint8Array; expected: bigint } {
  const [a, e, n] = [0x1234567890abcdef1122334455667788n, 0x10001n, 0xf0e1d2c3b4a5968778695a4b3c2d1e0fn];
  const out = new Uint8Array(16);
  const param: crparam_user[] = [
    { crp_p: le(a, 16), crp_nbits: 128 },
    { crp_p: le(e, 3), crp_nbits: 17 },
    { crp_p: le(n, 16), crp_nbits: 128 },
    { crp_p: out, crp_nbits: 128 },
  ];
  while (param.length < 8) param.push({ crp_p: null, crp_nbits: 0 });
  return { kop: new crypt_kop({ crk_op: CRK_MOD_EXP, crk_iparams: 3, crk_oparams: 1, crk_crid: crid, crk_param: param }), out, expected: modPow(a, e, n) };
}

describe('CIOCKEY and CIOCKEY2', () => {
  it('kern.userasymcrypto=0 makes both EPERM and CIOCASYMFEAT report 0.', () => {
    const m = machine();
    new TestCard(m, { kalgs: [CRK_MOD_EXP] }).attach();
    const fd = m.cryptodev();
    expect(fd.ioctlSync(CIOCASYMFEAT)).toBe(CRF_MOD_EXP);
    m.sysctl('kern.userasymcrypto', 0);
    expectErrno(() => fd.ioctlSync(CIOCKEY, modExpKop().kop), EPERM);
    expectErrno(() => fd.ioctlSync(CIOCKEY2, modExpKop().kop), EPERM);
    expect(fd.ioctlSync(CIOCASYMFEAT)).toBe(0);
  });

  it('More than 8 parameters in all is EFBIG; counts that do not match the operation are EINVAL.', () => {
    const m = machine();
    const fd = m.cryptodev();
    expectErrno(() => fd.ioctlSync(CIOCKEY, new crypt_kop({ crk_op: CRK_MOD_EXP, crk_iparams: 8, crk_oparams: 1 })), EFBIG);
    for (const [op, [i, o]] of Object.entries(CRK_PARAM_COUNTS)) {
      expectErrno(() => fd.ioctlSync(CIOCKEY, new crypt_kop({ crk_op: Number(op), crk_iparams: i + 1, crk_oparams: o })), EINVAL);
      expectErrno(() => fd.ioctlSync(CIOCKEY, new crypt_kop({ crk_op: Number(op), crk_iparams: i, crk_oparams: o + 1 })), EINVAL);
    }
    expectErrno(() => fd.ioctlSync(CIOCKEY, new crypt_kop({ crk_op: 5, crk_iparams: 3, crk_oparams: 1 })), EINVAL);
  });

  it('A crp_nbits over 65536 is EINVAL, even in an unused slot.', () => {
    const m = machine();
    const fd = m.cryptodev();
    const { kop } = modExpKop();
    kop.crk_param[7] = { crp_p: null, crp_nbits: 65537 };
    expect(expectErrno(() => fd.ioctlSync(CIOCKEY, kop), EINVAL).message).toMatch(/crk_param\[7\]/);
  });

  it('Without a hardware keying driver and with allowsoft=0, the operation ends in ENODEV.', () => {
    const m = machine();
    const fd = m.cryptodev();
    expect(fd.ioctlSync(CIOCASYMFEAT)).toBe(0);
    expectErrno(() => fd.ioctlSync(CIOCKEY, modExpKop().kop), ENODEV);
  });

  it('A hardware card computes CRK_MOD_EXP; crk_crid is echoed back unchanged, as in FreeBSD 10/11.', () => {
    const m = machine();
    const card = new TestCard(m, { kalgs: [CRK_MOD_EXP] }).attach();
    const fd = m.cryptodev();
    const k1 = modExpKop();
    fd.ioctlSync(CIOCKEY, k1.kop);
    expect(fromLe(k1.out)).toBe(k1.expected);
    expect(k1.kop.crk_crid >>> 0).toBe((CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE) >>> 0);
    expect(k1.kop.crk_status).toBe(0);
    const k2 = modExpKop(card.hid);
    fd.ioctlSync(CIOCKEY2, k2.kop);
    expect(fromLe(k2.out)).toBe(k2.expected);
    expect(k2.kop.crk_crid).toBe(card.hid);
    settle(m, fd);
    expect(cryptodev_consistency(m, { exclusive: true })).toEqual([]);
  });

  it('cryptosoft serves keying operations only with allowsoft=1 (it reports every op but DH, which getfeat never reports).', () => {
    const m = machine({ allowsoft: 1 });
    const fd = m.cryptodev();
    expect(fd.ioctlSync(CIOCASYMFEAT)).toBe(0x0f);
    expect(fd.ioctlSync(CIOCASYMFEAT) & (1 << CRK_DH_COMPUTE_KEY)).toBe(0);
    const k = modExpKop();
    fd.ioctlSync(CIOCKEY, k.kop);
    expect(fromLe(k.out)).toBe(k.expected);
  });

  it('A driver status is the ioctl error; short or missing parameter buffers are EFAULT.', () => {
    const m = machine();
    new TestCard(m, { kalgs: [CRK_MOD_EXP] }).attach();
    const fd = m.cryptodev();
    const zero = modExpKop();
    zero.kop.crk_param[2] = { crp_p: new Uint8Array(16), crp_nbits: 128 };
    expectErrno(() => fd.ioctlSync(CIOCKEY, zero.kop), EINVAL);
    const short = modExpKop();
    short.kop.crk_param[0] = { crp_p: new Uint8Array(15), crp_nbits: 128 };
    expectErrno(() => fd.ioctlSync(CIOCKEY, short.kop), EFAULT);
    const noOut = modExpKop();
    noOut.kop.crk_param[3] = { crp_p: null, crp_nbits: 128 };
    expectErrno(() => fd.ioctlSync(CIOCKEY, noOut.kop), EFAULT);
    expectErrno(() => fd.ioctlSync(CIOCKEY, { crk_op: 0, crk_iparams: 3, crk_oparams: 1, crk_param: 'x' } as never), EFAULT);
  });
});

describe('CIOCFINDDEV', () => {
  it('finds a driver by name, by prefix, and by index; ENOENT otherwise.', () => {
    const m = machine();
    const card = new TestCard(m).attach();
    const fd = m.cryptodev();
    const byName = new crypt_find_op({ crid: -1, name: 'testcard0' });
    fd.ioctlSync(CIOCFINDDEV, byName);
    expect(byName.crid).toBe(card.hid);
    const byPrefix = new crypt_find_op({ crid: -1, name: 'crypto' });
    fd.ioctlSync(CIOCFINDDEV, byPrefix);
    expect(byPrefix.crid).toBe(m.crypto.crypto_find_driver('cryptosoft'));
    const first = new crypt_find_op({ crid: -1, name: '' });
    fd.ioctlSync(CIOCFINDDEV, first);
    expect(first.crid).toBe(0);
    const byIndex = new crypt_find_op({ crid: card.hid });
    fd.ioctlSync(CIOCFINDDEV, byIndex);
    expect(byIndex.name).toBe('testcard0');
    expectErrno(() => fd.ioctlSync(CIOCFINDDEV, new crypt_find_op({ crid: -1, name: 'hifn' })), ENOENT);
    expectErrno(() => fd.ioctlSync(CIOCFINDDEV, new crypt_find_op({ crid: 99 })), ENOENT);
    expectErrno(() => fd.ioctlSync(CIOCFINDDEV, new crypt_find_op({ crid: CRYPTOCAP_F_HARDWARE })), ENOENT);
    expectErrno(() => fd.ioctlSync(CIOCFINDDEV, { crid: -1, name: 7 } as never), EINVAL);
  });

  it('reads the name as char name[32]: up to the first NUL and at most 31 characters.', () => {
    const m = machine();
    const fd = m.cryptodev();
    const f = new crypt_find_op({ crid: -1, name: 'cryptosoft\0garbage' });
    fd.ioctlSync(CIOCFINDDEV, f);
    expect(f.crid).toBe(0);
    expectErrno(() => fd.ioctlSync(CIOCFINDDEV, new crypt_find_op({ crid: -1, name: `cryptosoft0${'x'.repeat(40)}` })), ENOENT);
  });
});
