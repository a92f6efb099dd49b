/**
 * CIOCCRYPT (reference/ocf.md §5.5): the length rules (E2BIG, block multiples), the pointers
 * (EFAULT), IV handling (explicit, in-band, none for ARC4), the 2015 descriptor order (MAC first),
 * results against OpenSSL through cryptosoft and a hardware card that completes later, and the two
 * listed differences: the generated IV lands in the in-band block, and a migrated session keeps
 * its new SID.
 */
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CRYPTO_AES_CBC,
  CRYPTO_ARC4,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA2_256_HMAC,
  CRYPTO_SHA2_512_HMAC,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  E2BIG,
  EAGAIN,
  EFAULT,
  EINVAL,
  ENOENT,
} from '../../../framework/constants.js';
import {
  CIOCCRYPT,
  CIOCGSESSION,
  CIOCGSESSION2,
  COP_DECRYPT,
  COP_ENCRYPT,
  COP_F_BATCH,
  CRYPTODEV_MAX_LEN,
  crypt_op,
  session2_op,
  session_op,
} from '../../../framework/cryptodev-structs.js';
import { cryptodev_consistency, type CryptodevHandle } from '../../../framework/cryptodev.js';
import { CRYPTO_SESID2HID } from '../../../framework/drivers.js';
import type { Machine } from '../../../lab/machine.js';
import { TestCard, US, aesCbc, bytes, expectErrno, hex, hmac, machine, settle } from './helpers.js';

const SW = CRYPTOCAP_F_SOFTWARE;
const key = bytes(16, 7);
const iv = bytes(16, 8);

/** A session on cryptosoft (allowsoft=1) with the given cipher/MAC. */
function soft(init: Partial<session2_op>): { m: Machine; fd: CryptodevHandle; ses: number } {
  const m = machine({ allowsoft: 1 });
  const fd = m.cryptodev();
  const sop = new session2_op({ crid: SW, ...init });
  fd.ioctlSync(CIOCGSESSION2, sop);
  return { m, fd, ses: sop.ses };
}

const aes = { cipher: CRYPTO_AES_CBC, keylen: 16, key };

describe('lengths and pointers', () => {
  it('len over 262140 is E2BIG, checked before anything else about the data.', () => {
    const { fd, ses } = soft({ mac: CRYPTO_SHA1_HMAC, mackeylen: 20, mackey: bytes(20) });
    expectErrno(() => fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses, len: CRYPTODEV_MAX_LEN + 1 })), E2BIG);
    expectErrno(() => fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses, len: -1 })), E2BIG);
    const src = bytes(CRYPTODEV_MAX_LEN);
    const mac = new Uint8Array(20);
    fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses, len: CRYPTODEV_MAX_LEN, src, mac }));
    expect(hex(mac)).toBe(hex(hmac('sha1', bytes(20), src)));
  });

  it('With a cipher, len must be a non-zero multiple of the block size; a MAC-only session takes len 0.', () => {
    const c = soft(aes);
    for (const len of [0, 8, 17]) expectErrno(() => c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: COP_ENCRYPT, len, src: bytes(32), iv })), EINVAL);
    const h = soft({ mac: CRYPTO_SHA2_256_HMAC, mackeylen: 32, mackey: bytes(32) });
    const mac = new Uint8Array(32);
    h.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: h.ses, len: 0, mac }));
    expect(hex(mac)).toBe(hex(hmac('sha256', bytes(32), new Uint8Array(0))));
  });

  it('An unknown session is EINVAL; iv without a cipher and mac without a MAC are EINVAL.', () => {
    const c = soft(aes);
    expectErrno(() => c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: 9, op: COP_ENCRYPT, len: 16, src: bytes(16), iv })), EINVAL);
    expectErrno(() => c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: COP_ENCRYPT, len: 16, src: bytes(16), iv, mac: new Uint8Array(20) })), EINVAL);
    const h = soft({ mac: CRYPTO_SHA1_HMAC, mackeylen: 20, mackey: bytes(20) });
    expectErrno(() => h.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: h.ses, len: 16, src: bytes(16), iv })), EINVAL);
  });

  it.each([
    ['src is NULL', { src: null }],
    ['src is shorter than len', { src: bytes(31) }],
    ['dst is shorter than len', { dst: new Uint8Array(16) }],
    ['iv is shorter than the block size', { iv: bytes(15) }],
    ['src is not a Uint8Array', { src: [1, 2, 3] }],
  ])('EFAULT when %s', (_what, over) => {
    const c = soft(aes);
    const cop = { ses: c.ses, op: COP_ENCRYPT, len: 32, src: bytes(32), dst: new Uint8Array(32), iv, ...over };
    expectErrno(() => c.fd.ioctlSync(CIOCCRYPT, cop as never), EFAULT);
    settle(c.m, c.fd);
    expect(cryptodev_consistency(c.m, { exclusive: true })).toEqual([]);
  });

  it('A mac buffer shorter than the full hash size is EFAULT (the whole hash is copied out).', () => {
    const h = soft({ mac: CRYPTO_SHA2_512_HMAC, mackeylen: 64, mackey: bytes(64) });
    expectErrno(() => h.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: h.ses, len: 16, src: bytes(16), mac: new Uint8Array(32) })), EFAULT);
  });
});

describe('results', () => {
  it.each([
    ['cryptosoft', false],
    ['a hardware card completing 10 µs later', true],
  ])('AES-CBC with an explicit IV matches OpenSSL both ways on %s.', (_name, hw) => {
    const m = machine({ allowsoft: 1 });
    if (hw) new TestCard(m, { delayPs: 10 * US }).attach();
    const fd = m.cryptodev();
    const sop = new session2_op({ ...aes, crid: hw ? CRYPTOCAP_F_HARDWARE : SW });
    fd.ioctlSync(CIOCGSESSION2, sop);
    const src = bytes(256, 3);
    const dst = new Uint8Array(256);
    const t0 = m.now;
    fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 256, src, dst, iv }));
    if (hw) expect(m.now - t0).toBeGreaterThanOrEqual(10 * US);
    expect(hex(dst)).toBe(hex(aesCbc(key, iv, src, true)));
    const back = new Uint8Array(256);
    fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_DECRYPT, len: 256, src: dst, dst: back, iv }));
    expect(back).toEqual(src);
    expect(src).toEqual(bytes(256, 3));
    settle(m, fd);
    expect(cryptodev_consistency(m, { exclusive: true })).toEqual([]);
  });

  it('Any op other than COP_ENCRYPT decrypts (op 0 included).', () => {
    const c = soft(aes);
    const ct = aesCbc(key, iv, bytes(32), true);
    const out = new Uint8Array(32);
    c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: 0, len: 32, src: ct, dst: out, iv }));
    expect(out).toEqual(bytes(32));
  });

  it('Without iv, decrypt takes the IV from the first block and passes that block through.', () => {
    const c = soft(aes);
    const body = bytes(48, 4);
    const src = new Uint8Array([...iv, ...aesCbc(key, iv, body, true)]);
    const dst = new Uint8Array(64);
    c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: COP_DECRYPT, len: 64, src, dst }));
    expect(hex(dst)).toBe(hex(iv) + hex(body));
  });

  it('Difference: without iv, encrypt writes the IV it generated into the first block, so the output decrypts.', () => {
    const c = soft(aes);
    const src = new Uint8Array([...new Uint8Array(16), ...bytes(48, 5)]);
    const dst = new Uint8Array(64);
    c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: COP_ENCRYPT, len: 64, src, dst }));
    const generated = dst.slice(0, 16);
    expect(generated).not.toEqual(new Uint8Array(16));
    expect(hex(dst.slice(16))).toBe(hex(aesCbc(key, generated, src.slice(16), true)));
    const back = new Uint8Array(64);
    c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: COP_DECRYPT, len: 64, src: dst, dst: back }));
    expect(back.slice(16)).toEqual(src.slice(16));
  });

  it('ARC4 takes no IV (EINVAL) and without one processes the whole buffer.', () => {
    const c = soft({ cipher: CRYPTO_ARC4, keylen: 16, key });
    expectErrno(() => c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: COP_ENCRYPT, len: 5, src: bytes(5), iv })), EINVAL);
    const dst = new Uint8Array(5);
    c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: COP_ENCRYPT, len: 5, src: bytes(5), dst }));
    const back = new Uint8Array(5);
    c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: COP_DECRYPT, len: 5, src: dst, dst: back }));
    expect(dst).not.toEqual(bytes(5));
    expect(back).toEqual(bytes(5));
  });

  it('The MAC runs first (2015): encrypt MACs the plaintext, decrypt MACs the ciphertext.', () => {
    const mackey = bytes(32, 9);
    const c = soft({ ...aes, mac: CRYPTO_SHA2_256_HMAC, mackeylen: 32, mackey });
    const pt = bytes(64, 10);
    const ct = new Uint8Array(64);
    const mac = new Uint8Array(32);
    c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: COP_ENCRYPT, len: 64, src: pt, dst: ct, iv, mac }));
    expect(hex(ct)).toBe(hex(aesCbc(key, iv, pt, true)));
    expect(hex(mac)).toBe(hex(hmac('sha256', mackey, pt)));
    const back = new Uint8Array(64);
    c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, op: COP_DECRYPT, len: 64, src: ct, dst: back, iv, mac }));
    expect(back).toEqual(pt);
    expect(hex(mac)).toBe(hex(hmac('sha256', mackey, ct)));
  });

  it('A driver error is the ioctl error, and nothing is copied out.', () => {
    const m = machine();
    new TestCard(m, { etype: ENOENT }).attach();
    const fd = m.cryptodev();
    const sop = new session_op(aes);
    fd.ioctlSync(CIOCGSESSION, sop);
    const dst = new Uint8Array(16).fill(0xee);
    expectErrno(() => fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 16, src: bytes(16), dst, iv })), ENOENT);
    expect(dst).toEqual(new Uint8Array(16).fill(0xee));
  });

  it('COP_F_BATCH queues the request for the crypto thread instead of calling the driver directly.', () => {
    const run = (flags: number) => {
      const m = machine({ trace: true });
      new TestCard(m).attach();
      const fd = m.cryptodev();
      const sop = new session_op(aes);
      fd.ioctlSync(CIOCGSESSION, sop);
      fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, flags, len: 16, src: bytes(16), dst: new Uint8Array(16), iv }));
      return m.trace.all.filter((e) => e.kind === 'crypto.queue').length;
    };
    expect(run(0)).toBe(0);
    expect(run(COP_F_BATCH)).toBe(1);
  });

  it('The copies cost the user thread CPU time in proportion to the data.', () => {
    const cost = (len: number) => {
      const c = soft({ mac: CRYPTO_SHA1_HMAC, mackeylen: 20, mackey: bytes(20) });
      const name = `cryptodev fd ${c.fd.fd}`;
      const before = c.m.scheduler.threadUsage().find((t) => t.name === name)!.cpuTimePs;
      c.fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: c.ses, len, src: bytes(len), dst: new Uint8Array(len), mac: new Uint8Array(20) }));
      return c.m.scheduler.threadUsage().find((t) => t.name === name)!.cpuTimePs - before;
    };
    expect(cost(65536)).toBeGreaterThan(cost(16) + 10 * US);
  });
});

describe('EAGAIN', () => {
  it('Difference: a card ejected mid-request: the call still succeeds on cryptosoft and the session keeps the new SID.', () => {
    const m = machine({ trace: true });
    const card = new TestCard(m, { delayPs: 20 * US }).attach();
    const fd = m.cryptodev();
    const sop = new session_op(aes);
    fd.ioctlSync(CIOCGSESSION, sop);
    expect(CRYPTO_SESID2HID(fd.sessions[0]!.sid)).toBe(card.hid);
    const src = bytes(64, 11);
    const dst = new Uint8Array(64);
    m.engine.schedule(m.now + 5 * US, () => card.eject());
    fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 64, src, dst, iv }));
    expect(hex(dst)).toBe(hex(aesCbc(key, iv, src, true)));
    const soft = m.crypto.crypto_find_driver('cryptosoft');
    expect(CRYPTO_SESID2HID(fd.sessions[0]!.sid), 'the descriptor recorded the migrated SID').toBe(soft);
    expect(m.trace.all.filter((e) => e.kind === 'cryptodev.migrated')).toHaveLength(1);
    // The next request goes straight to cryptosoft: no second migration.
    fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 64, src, dst, iv }));
    expect(m.trace.all.filter((e) => e.kind === 'crypto.migrate')).toHaveLength(1);
    settle(m, fd);
    expect(cryptodev_consistency(m, { exclusive: true })).toEqual([]);
    expect(m.crypto.drivers.slots.every((c) => !c.isTombstone)).toBe(true);
  });

  it('Difference: a card ejected after writing its output but before completing: the resubmission starts from the caller\'s input again.', () => {
    for (const op of [COP_ENCRYPT, COP_DECRYPT]) {
      const m = machine();
      const card = new TestCard(m, { delayPs: 20 * US, outputFirst: true }).attach();
      const fd = m.cryptodev();
      const sop = new session_op(aes);
      fd.ioctlSync(CIOCGSESSION, sop);
      const src = bytes(64, 12);
      const dst = new Uint8Array(64);
      m.engine.schedule(m.now + 5 * US, () => card.eject());
      fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op, len: 64, src, dst, iv }));
      expect(card.processed, 'the card did write its output').toBe(1);
      expect(hex(dst)).toBe(hex(aesCbc(key, iv, src, op === COP_ENCRYPT)));
      expect(hex(src), 'the caller\'s input is untouched').toBe(hex(bytes(64, 12)));
      settle(m, fd);
    }
  });

  it('A driver that answers EAGAIN for ever makes the ioctl fail with EAGAIN after 16 tries.', () => {
    const m = machine();
    const card = new TestCard(m, { etype: EAGAIN }).attach();
    const fd = m.cryptodev();
    const sop = new session_op(aes);
    fd.ioctlSync(CIOCGSESSION, sop);
    expectErrno(() => fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 16, src: bytes(16), iv })), EAGAIN);
    expect(card.processed).toBe(16);
  });
});

describe('sanity of the reference', () => {
  it('aesCbc agrees with node:crypto directly', () => {
    const c = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
    expect(hex(aesCbc(key, iv, bytes(32), true))).toBe(Buffer.concat([c.update(bytes(32)), c.final()]).toString('hex'));
  });
});
