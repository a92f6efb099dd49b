/**
 * /dev/crypto sessions (reference/ocf.md §5.1, §5.4): CIOCGSESSION is hardware-only,
 * CIOCGSESSION2 reaches software drivers only with kern.cryptodevallowsoft=1, key lengths are
 * checked against the enc_xform ranges and MAC keys must have the hash's exact key size, sessions
 * are numbered per descriptor from 0 and never reused, and closing a descriptor frees them.
 */
import { describe, expect, it } from 'vitest';
import {
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_NIST_GMAC,
  CRYPTO_DEFLATE_COMP,
  CRYPTO_MD5,
  CRYPTO_MD5_KPDK,
  CRYPTO_NULL_HMAC,
  CRYPTO_SHA1,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA2_256_HMAC,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  EFAULT,
  EINVAL,
} from '../../../framework/constants.js';
import { CRYPTODEV_CIPHERS, CRYPTODEV_MACS } from '../../../framework/cryptodev-algs.js';
import {
  CIOCFSESSION,
  CIOCGSESSION,
  CIOCGSESSION2,
  CRIOGET,
  EBADF,
  session2_op,
  session_op,
} from '../../../framework/cryptodev-structs.js';
import { CryptodevError } from '../../../framework/cryptodev.js';
import { CRYPTO_SESID2HID } from '../../../framework/drivers.js';
import { FakeDriver } from '../fixture.js';
import { TestCard, bytes, expectErrno, fixtureOf, machine } from './helpers.js';

const HW = CRYPTOCAP_F_HARDWARE;
const SW = CRYPTOCAP_F_SOFTWARE;
const key16 = bytes(16);

/** A machine with cryptosoft0 (id 0) and a fake hardware driver `fake0` (id 1) that accepts every session. */
function withFake(allowsoft = 0) {
  const m = machine({ allowsoft });
  const fake = new FakeDriver(fixtureOf(m), 'fake', { kind: 'sync' });
  fake.attach(HW, [...CRYPTODEV_CIPHERS.keys(), ...CRYPTODEV_MACS.keys()]);
  return { m, fake, fd: m.cryptodev() };
}

describe('CIOCGSESSION and kern.cryptodevallowsoft', () => {
  it('CIOCGSESSION asks for hardware only: cryptosoft alone cannot serve it, a hardware card can.', () => {
    const m = machine({ allowsoft: 1 });
    const fd = m.cryptodev();
    const sop = new session_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: key16, ses: 77 });
    expectErrno(() => fd.ioctlSync(CIOCGSESSION, sop), EINVAL);
    expect(sop.ses, 'nothing is written back on failure').toBe(77);
    const card = new TestCard(m).attach();
    fd.ioctlSync(CIOCGSESSION, sop);
    expect(sop.ses).toBe(0);
    expect(CRYPTO_SESID2HID(fd.sessions[0]!.sid)).toBe(card.hid);
  });

  it('CIOCGSESSION2 reaches a software driver only when kern.cryptodevallowsoft is 1.', () => {
    const m = machine();
    const fd = m.cryptodev();
    const soft = m.crypto.crypto_find_driver('cryptosoft');
    for (const crid of [SW, HW | SW, soft]) {
      const err = expectErrno(() => fd.ioctlSync(CIOCGSESSION2, new session2_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: key16, crid })), EINVAL);
      expect(err.code).toBe('EINVAL');
    }
    m.sysctl('kern.cryptodevallowsoft', 1);
    for (const crid of [SW, HW | SW, soft]) {
      const sop = new session2_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: key16, crid });
      fd.ioctlSync(CIOCGSESSION2, sop);
      expect(sop.crid, 'crid comes back as the driver index').toBe(soft);
    }
    expect(fd.sessions.map((s) => s.ses)).toEqual([0, 1, 2]);
  });

  it('Without allowsoft, HARDWARE|SOFTWARE narrows to hardware and an explicit hardware index is fine.', () => {
    const { fake, fd } = withFake(0);
    const sop = new session2_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: key16, crid: HW | SW });
    fd.ioctlSync(CIOCGSESSION2, sop);
    expect(sop.crid).toBe(fake.hid);
    const byIndex = new session2_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: key16, crid: fake.hid });
    fd.ioctlSync(CIOCGSESSION2, byIndex);
    expect(byIndex.crid).toBe(fake.hid);
    expectErrno(() => fd.ioctlSync(CIOCGSESSION2, new session2_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: key16, crid: 40 })), EINVAL);
  });
});

describe('algorithm and key checks', () => {
  it.each([...CRYPTODEV_CIPHERS.values()])('$name keys must be $minkey..$maxkey bytes', (t) => {
    const { fd } = withFake();
    const open = (keylen: number) => fd.ioctlSync(CIOCGSESSION, new session_op({ cipher: t.alg, keylen, key: bytes(keylen + 1) }));
    if (t.minkey > 0) expect(expectErrno(() => open(t.minkey - 1), EINVAL).message).toMatch(/keylen .* outside/);
    expect(expectErrno(() => open(t.maxkey + 1), EINVAL).message).toMatch(/keylen .* outside/);
    open(t.minkey);
    open(t.maxkey);
  });

  it.each([...CRYPTODEV_MACS.values()])('$name MAC keys must be exactly $keysize bytes', (t) => {
    const { fd } = withFake();
    const open = (mackeylen: number) => fd.ioctlSync(CIOCGSESSION, new session_op({ mac: t.alg, mackeylen, mackey: bytes(80) }));
    expect(expectErrno(() => open(t.keysize + 1), EINVAL).message).toMatch(/mackeylen .* exactly/);
    if (t.keysize > 0) expectErrno(() => open(t.keysize - 1), EINVAL);
    open(t.keysize);
  });

  it.each([
    ['GMAC as a cipher', { cipher: CRYPTO_AES_NIST_GMAC, keylen: 16 }],
    ['DEFLATE', { cipher: CRYPTO_DEFLATE_COMP }],
    ['an unknown cipher', { cipher: 99, keylen: 16 }],
    ['plain MD5', { mac: CRYPTO_MD5 }],
    ['plain SHA1', { mac: CRYPTO_SHA1 }],
    ['MD5-KPDK', { mac: CRYPTO_MD5_KPDK, mackeylen: 16 }],
    ['a cipher id as the MAC', { mac: CRYPTO_AES_CBC, mackeylen: 16 }],
    ['neither cipher nor MAC', {}],
  ])('%s is refused with EINVAL', (_name, init) => {
    const { fd } = withFake();
    expectErrno(() => fd.ioctlSync(CIOCGSESSION, new session_op({ key: key16, mackey: key16, ...init })), EINVAL);
  });

  it('A cipher and a MAC make one session whose chain is cipher then MAC; NULL-HMAC takes no key.', () => {
    const { fake, fd } = withFake();
    fd.ioctlSync(CIOCGSESSION, new session_op({ cipher: CRYPTO_3DES_CBC, keylen: 24, key: bytes(24), mac: CRYPTO_SHA1_HMAC, mackeylen: 20, mackey: bytes(20) }));
    fd.ioctlSync(CIOCGSESSION, new session_op({ mac: CRYPTO_NULL_HMAC }));
    expect([...fake.sessions.values()]).toEqual([[CRYPTO_3DES_CBC, CRYPTO_SHA1_HMAC], [CRYPTO_NULL_HMAC]]);
  });

  it('Keys are copied in (EFAULT from a NULL or short pointer) and the driver sees a private copy that is wiped at free.', () => {
    const m = machine();
    const seen: Uint8Array[] = [];
    const card = new TestCard(m).attach();
    const orig = (card.dev.driver!.methods as { cryptodev_newsession: (...a: never[]) => number }).cryptodev_newsession;
    (card.dev.driver!.methods as Record<string, unknown>).cryptodev_newsession = (d: never, sidp: never, cri: { cri_key: Uint8Array }) => {
      seen.push(cri.cri_key);
      return orig(d, sidp, cri as never);
    };
    const fd = m.cryptodev();
    expectErrno(() => fd.ioctlSync(CIOCGSESSION, new session_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: null })), EFAULT);
    expectErrno(() => fd.ioctlSync(CIOCGSESSION, new session_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: bytes(15) })), EFAULT);
    expectErrno(() => fd.ioctlSync(CIOCGSESSION, { cipher: CRYPTO_AES_CBC, keylen: 16, key: 'abc' } as never), EFAULT);
    expectErrno(() => fd.ioctlSync(CIOCGSESSION, { mac: CRYPTO_SHA2_256_HMAC, mackeylen: 32, mackey: [1, 2] } as never), EFAULT);
    const key = bytes(16);
    const sop = new session_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key });
    fd.ioctlSync(CIOCGSESSION, sop);
    expect(seen[0]).not.toBe(key);
    expect(seen[0]).toEqual(key);
    fd.ioctlSync(CIOCFSESSION, sop.ses);
    expect(seen[0]).toEqual(new Uint8Array(16));
    expect(key).toEqual(bytes(16));
  });

  it('Integer fields are read with their C width; a field that is not an integer is EINVAL, naming it.', () => {
    const { fd } = withFake();
    expect(expectErrno(() => fd.ioctlSync(CIOCGSESSION, { cipher: CRYPTO_AES_CBC, keylen: 16.5, key: key16 } as never), EINVAL).message).toMatch(/keylen must be an integer/);
    expect(expectErrno(() => fd.ioctlSync(CIOCGSESSION, { cipher: '11', keylen: 16, key: key16 } as never), EINVAL).message).toMatch(/cipher/);
    // 2^32 + 11 is CRYPTO_AES_CBC in a u32.
    fd.ioctlSync(CIOCGSESSION, { cipher: 2 ** 32 + CRYPTO_AES_CBC, keylen: 16, key: key16 } as never);
    // keylen -1 is 0xffffffff: out of range, not "negative".
    expect(expectErrno(() => fd.ioctlSync(CIOCGSESSION, { cipher: CRYPTO_AES_CBC, keylen: -1, key: key16 } as never), EINVAL).message).toMatch(/4294967295/);
    expectErrno(() => fd.ioctlSync(CIOCGSESSION, null as never), EFAULT);
    expectErrno(() => fd.ioctlSync(CIOCGSESSION, 5 as never), EFAULT);
  });
});

describe('the descriptor', () => {
  it('numbers sessions from 0 per descriptor and never reuses a number.', () => {
    const { fd, m } = withFake();
    const open = (f = fd) => {
      const sop = new session_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: key16 });
      f.ioctlSync(CIOCGSESSION, sop);
      return sop.ses;
    };
    expect([open(), open(), open()]).toEqual([0, 1, 2]);
    fd.ioctlSync(CIOCFSESSION, 1);
    expect(open()).toBe(3);
    expect(open(m.cryptodev())).toBe(0);
    expect(fd.sessions.map((s) => s.ses)).toEqual([0, 2, 3]);
  });

  it('CIOCFSESSION of an unknown session is EINVAL; of a known one frees the kernel session.', () => {
    const { fd, fake, m } = withFake();
    fd.ioctlSync(CIOCGSESSION, new session_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: key16 }));
    expect(m.crypto.drivers.slots[fake.hid]!.cc_sessions).toBe(1);
    expectErrno(() => fd.ioctlSync(CIOCFSESSION, 5), EINVAL);
    fd.ioctlSync(CIOCFSESSION, 0);
    expect(m.crypto.drivers.slots[fake.hid]!.cc_sessions).toBe(0);
    expect(fake.freed).toHaveLength(1);
    expectErrno(() => fd.ioctlSync(CIOCFSESSION, 0), EINVAL);
  });

  it('close() frees every session; later ioctls fail with EBADF, and so does a second close.', () => {
    const { fd, fake, m } = withFake();
    for (let i = 0; i < 3; i++) fd.ioctlSync(CIOCGSESSION, new session_op({ mac: CRYPTO_SHA1_HMAC, mackeylen: 20, mackey: bytes(20) }));
    expect(m.crypto.drivers.slots[fake.hid]!.cc_sessions).toBe(3);
    fd.close();
    expect(fd.closed).toBe(true);
    expect(m.crypto.drivers.slots[fake.hid]!.cc_sessions).toBe(0);
    expect(fake.sessions.size).toBe(0);
    const err = expectErrno(() => fd.ioctlSync(CIOCGSESSION, new session_op()), EBADF);
    expect(err.code).toBe('EBADF');
    expect(() => fd.close()).toThrow(CryptodevError);
  });

  it('An unknown command, and CRIOGET on a cloned descriptor, are EINVAL.', () => {
    const { fd } = withFake();
    expectErrno(() => fd.ioctlSync(0x1234, {}), EINVAL);
    expectErrno(() => fd.ioctlSync(CRIOGET, {}), EINVAL);
  });

  it('charges the system call and the copies to the calling user thread.', () => {
    const { fd, m } = withFake();
    fd.ioctlSync(CIOCGSESSION, new session_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key: key16 }));
    const td = m.scheduler.threadUsage().find((t) => t.name === `cryptodev fd ${fd.fd}`)!;
    expect(td.cpuTimePs).toBeGreaterThan(0);
    expect(m.now).toBeGreaterThan(0);
  });
});
