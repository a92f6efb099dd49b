/**
 * How /dev/crypto calls meet simulated time: the promise of `ioctl` resolves once the machine has
 * run, errors look like Node's (errno, code, syscall), calls on one descriptor run in order while
 * descriptors run concurrently, `cryptodev_run` drives an async program, and a lost request is
 * reported instead of hanging. Also: close() while a call is in progress, and the consistency
 * check.
 */
import { describe, expect, it } from 'vitest';
import { CRYPTO_AES_CBC, CRYPTOCAP_F_HARDWARE, EINVAL } from '../../../framework/constants.js';
import { CIOCCRYPT, CIOCFSESSION, CIOCGSESSION, COP_ENCRYPT, crypt_op, session_op } from '../../../framework/cryptodev-structs.js';
import { CryptodevError, cryptodev_consistency, cryptodev_run } from '../../../framework/cryptodev.js';
import { Priority } from '../../../sim/cpu.js';
import { KernelError } from '../../../sim/errno.js';
import { FakeDriver } from '../fixture.js';
import { TestCard, US, aesCbc, bytes, fixtureOf, hex, machine } from './helpers.js';

const key = bytes(16, 1);
const iv = bytes(16, 2);
const aes = { cipher: CRYPTO_AES_CBC, keylen: 16, key };

function withCard(delayPs = 10 * US) {
  const m = machine();
  const card = new TestCard(m, { delayPs }).attach();
  return { m, card };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('the async form', () => {
  it('resolves only after the machine has run, with the output written into the struct.', async () => {
    const { m } = withCard();
    const fd = m.cryptodev();
    const sop = new session_op(aes);
    let done = false;
    const p = fd.ioctl(CIOCGSESSION, sop).then((v) => {
      done = true;
      return v;
    });
    await flush();
    expect(done).toBe(false);
    m.run();
    expect(await p).toBe(0);
    expect(sop.ses).toBe(0);
  });

  it('rejects with errno, code and syscall, like a Node system error.', async () => {
    const { m } = withCard();
    const fd = m.cryptodev();
    const p = fd.ioctl(CIOCFSESSION, 42);
    m.run();
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptodevError);
    expect(err).toBeInstanceOf(KernelError);
    expect(err).toMatchObject({ errno: EINVAL, code: 'EINVAL', syscall: 'ioctl', ioctl: 'CIOCFSESSION' });
    expect((err as Error).message).toMatch(/^EINVAL: CIOCFSESSION: no session 42/);
  });

  it('runs the calls of one descriptor in order, and different descriptors concurrently.', () => {
    const timeFor = (descriptors: number) => {
      const { m } = withCard(10 * US);
      const fds = Array.from({ length: descriptors }, () => m.cryptodev());
      const sessions = fds.map((fd) => {
        const sop = new session_op(aes);
        fd.ioctlSync(CIOCGSESSION, sop);
        return sop.ses;
      });
      const t0 = m.now;
      for (let i = 0; i < 2; i++) {
        const fd = fds[i % descriptors]!;
        void fd.ioctl(CIOCCRYPT, new crypt_op({ ses: sessions[i % descriptors]!, op: COP_ENCRYPT, len: 16, src: bytes(16), dst: new Uint8Array(16), iv }));
      }
      m.run();
      return m.now - t0;
    };
    const serial = timeFor(1);
    const parallel = timeFor(2);
    expect(serial).toBeGreaterThanOrEqual(20 * US);
    expect(parallel).toBeLessThan(15 * US);
  });

  it('cryptodev_run drives a program that awaits one ioctl after another.', async () => {
    const { m } = withCard();
    const fd = m.cryptodev();
    const src = bytes(64, 3);
    const out = await cryptodev_run(m, async () => {
      const sop = new session_op(aes);
      await fd.ioctl(CIOCGSESSION, sop);
      const dst = new Uint8Array(64);
      await fd.ioctl(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 64, src, dst, iv }));
      await fd.ioctl(CIOCFSESSION, sop.ses);
      return dst;
    });
    expect(hex(out)).toBe(hex(aesCbc(key, iv, src, true)));
    expect(m.now).toBeGreaterThan(10 * US);
  });

  it('an ioctl issued from a simulated thread starts at that thread\'s time; ioctlSync there is refused.', () => {
    const { m } = withCard();
    const fd = m.cryptodev();
    let refused = '';
    let issuedAt = -1;
    m.scheduler.spawn('program', Priority.User, function* (td) {
      td.charge(50 * US);
      issuedAt = td.localTime;
      try {
        fd.ioctlSync(CIOCGSESSION, new session_op(aes));
      } catch (e) {
        refused = (e as Error).message;
      }
      void fd.ioctl(CIOCGSESSION, new session_op(aes));
    });
    m.run();
    expect(refused).toMatch(/inside the simulation use ioctl/);
    expect(issuedAt).toBeGreaterThanOrEqual(50 * US);
    expect(fd.sessions).toHaveLength(1);
  });
});

describe('failures of the machine', () => {
  it('a request a driver never completes makes ioctlSync throw and is reported as a lost request.', () => {
    const m = machine();
    const lazy = new FakeDriver(fixtureOf(m), 'lazy', { kind: 'never' });
    lazy.attach(CRYPTOCAP_F_HARDWARE, [CRYPTO_AES_CBC]);
    const fd = m.cryptodev();
    const sop = new session_op(aes);
    fd.ioctlSync(CIOCGSESSION, sop);
    expect(() => fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 16, src: bytes(16), iv }))).toThrow(/never completed/);
    expect(m.violations.count('lost-request')).toBe(1);
    expect(cryptodev_consistency(m).join('\n')).toMatch(/still in progress/);
  });
});

describe('close and consistency', () => {
  it('close() while a call is in progress lets it finish, then frees the sessions.', async () => {
    const { m, card } = withCard();
    const fd = m.cryptodev();
    const sop = new session_op(aes);
    fd.ioctlSync(CIOCGSESSION, sop);
    const dst = new Uint8Array(16);
    const p = fd.ioctl(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 16, src: bytes(16), dst, iv }));
    fd.close();
    expect(fd.closed).toBe(false);
    await expect(fd.ioctl(CIOCGSESSION, new session_op(aes))).rejects.toMatchObject({ code: 'EBADF' });
    m.run();
    await p;
    expect(hex(dst)).toBe(hex(aesCbc(key, iv, bytes(16), true)));
    expect(fd.closed).toBe(true);
    expect(m.crypto.drivers.slots[card.hid]!.cc_sessions).toBe(0);
    expect(cryptodev_consistency(m, { exclusive: true })).toEqual([]);
    expect(m.scheduler.threadUsage().find((t) => t.name === `cryptodev fd ${fd.fd}`)!.state).toBe('done');
  });

  it('the exclusive check notices a session count that does not match the descriptors.', () => {
    const { m, card } = withCard();
    const fd = m.cryptodev();
    fd.ioctlSync(CIOCGSESSION, new session_op(aes));
    expect(cryptodev_consistency(m, { exclusive: true })).toEqual([]);
    m.crypto.drivers.slots[card.hid]!.cc_sessions++;
    expect(cryptodev_consistency(m, { exclusive: true }).join('\n')).toMatch(/cc_sessions 2, but \/dev\/crypto holds 1/);
    expect(cryptodev_consistency(m)).toEqual([]);
  });
});
