/**
 * CIOCCRYPTAEAD (reference/ocf.md §5.6): the [data][AAD][tag] buffer, real GCM through cryptosoft
 * against the published vector of tests/sys/opencrypto/cryptodev.py and against OpenSSL, tag
 * verification (EBADMSG), the argument checks, and what CIOCCRYPT makes of a GCM session.
 */
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_256_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_NIST_GCM_16,
  CRYPTO_SHA1_HMAC,
  CRYPTOCAP_F_SOFTWARE,
  E2BIG,
  EBADMSG,
  EINVAL,
} from '../../../framework/constants.js';
import {
  CIOCCRYPT,
  CIOCCRYPTAEAD,
  CIOCGSESSION2,
  COP_DECRYPT,
  COP_ENCRYPT,
  CRYPTODEV_MAX_LEN,
  crypt_aead,
  crypt_op,
  session2_op,
} from '../../../framework/cryptodev-structs.js';
import { cryptodev_consistency } from '../../../framework/cryptodev.js';
import { aesCbc, bytes, expectErrno, hex, hmac, machine, settle } from './helpers.js';

const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

function gcmSession(key: Uint8Array, mac = key.length === 16 ? CRYPTO_AES_128_NIST_GMAC : CRYPTO_AES_256_NIST_GMAC) {
  const m = machine({ allowsoft: 1 });
  const fd = m.cryptodev();
  const sop = new session2_op({ cipher: CRYPTO_AES_NIST_GCM_16, keylen: key.length, key, mac, mackeylen: key.length, mackey: key, crid: CRYPTOCAP_F_SOFTWARE });
  fd.ioctlSync(CIOCGSESSION2, sop);
  return { m, fd, ses: sop.ses };
}

function opensslGcm(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, pt: Uint8Array): { ct: Uint8Array; tag: Uint8Array } {
  const c = createCipheriv(`aes-${key.length * 8}-gcm` as 'aes-128-gcm', key, iv);
  c.setAAD(aad);
  const ct = new Uint8Array(Buffer.concat([c.update(pt), c.final()]));
  return { ct, tag: new Uint8Array(c.getAuthTag()) };
}

describe('GCM', () => {
  // tests/sys/opencrypto/cryptodev.py's embedded GCM-128 vector (reference/ocf.md §7.5).
  const key = fromHex('c939cc13397c1d37de6ae0e1cb7c423c');
  const iv = fromHex('b3d8cc017cbb89b39e0f67e2');
  const aad = fromHex('24825602bd12a984e0092d3e448eda5f');
  const pt = fromHex('c3b3c41f113a31b73d9a5cd4321030');

  it('encrypts the published vector and decrypts it back with the tag.', () => {
    const { m, fd, ses } = gcmSession(key);
    const ct = new Uint8Array(15);
    const tag = new Uint8Array(16);
    fd.ioctlSync(CIOCCRYPTAEAD, new crypt_aead({ ses, op: COP_ENCRYPT, len: 15, aadlen: 16, ivlen: 12, src: pt, dst: ct, aad, tag, iv }));
    expect(hex(ct)).toBe('93fe7d9e9bfd10348a5606e5cafa73');
    expect(hex(tag)).toBe('8d11a0929cb3fbe1fef01a4a38d5f8ea');
    const back = new Uint8Array(15);
    fd.ioctlSync(CIOCCRYPTAEAD, new crypt_aead({ ses, op: COP_DECRYPT, len: 15, aadlen: 16, ivlen: 12, src: ct, dst: back, aad, tag, iv }));
    expect(back).toEqual(pt);
    settle(m, fd);
    expect(cryptodev_consistency(m, { exclusive: true })).toEqual([]);
  });

  it('A wrong tag is EBADMSG and nothing is copied out.', () => {
    const { fd, ses } = gcmSession(key);
    const tag = fromHex('8d11a0929cb3fbe1fef01a4a38d5f8eb');
    const dst = new Uint8Array(15).fill(0xaa);
    const err = expectErrno(
      () => fd.ioctlSync(CIOCCRYPTAEAD, new crypt_aead({ ses, op: COP_DECRYPT, len: 15, aadlen: 16, ivlen: 12, src: fromHex('93fe7d9e9bfd10348a5606e5cafa73'), dst, aad, tag, iv })),
      EBADMSG,
    );
    expect(err.code).toBe('EBADMSG');
    expect(dst).toEqual(new Uint8Array(15).fill(0xaa));
  });

  it.each([0, 1, 16, 100, 4096])('agrees with OpenSSL for %i bytes of data (AES-256, 20 bytes of AAD).', (len) => {
    const k = bytes(32, 2);
    const { fd, ses } = gcmSession(k);
    const data = bytes(len, 3);
    const a = bytes(20, 4);
    const n = bytes(12, 5);
    const ct = new Uint8Array(len);
    const tag = new Uint8Array(16);
    fd.ioctlSync(CIOCCRYPTAEAD, new crypt_aead({ ses, op: COP_ENCRYPT, len, aadlen: 20, ivlen: 12, src: data, dst: ct, aad: a, tag, iv: n }));
    const ref = opensslGcm(k, n, a, data);
    expect(hex(ct)).toBe(hex(ref.ct));
    expect(hex(tag)).toBe(hex(ref.tag));
  });

  it('checks its arguments: E2BIG, no tag, no MAC, ivlen over 16, and no IV (GCM needs one).', () => {
    const { fd, ses } = gcmSession(key);
    const base = { ses, op: COP_ENCRYPT, len: 16, aadlen: 0, ivlen: 12, src: bytes(16), tag: new Uint8Array(16), iv };
    expectErrno(() => fd.ioctlSync(CIOCCRYPTAEAD, { ...base, aadlen: CRYPTODEV_MAX_LEN + 1 } as never), E2BIG);
    expectErrno(() => fd.ioctlSync(CIOCCRYPTAEAD, { ...base, len: CRYPTODEV_MAX_LEN + 1 } as never), E2BIG);
    expectErrno(() => fd.ioctlSync(CIOCCRYPTAEAD, { ...base, tag: null } as never), EINVAL);
    expectErrno(() => fd.ioctlSync(CIOCCRYPTAEAD, { ...base, ivlen: 17, iv: bytes(17) } as never), EINVAL);
    expectErrno(() => fd.ioctlSync(CIOCCRYPTAEAD, { ...base, iv: null } as never), EINVAL);
    // Difference: len 0 without an IV would give the driver crd_len -1 in FreeBSD.
    expect(expectErrno(() => fd.ioctlSync(CIOCCRYPTAEAD, { ...base, len: 0, iv: null } as never), EINVAL).message).toMatch(/in-band IV/);
  });

  it('CIOCCRYPT on a GCM session copies only a 1-byte IV (enc_xform blocksize 1), as FreeBSD did.', () => {
    const k = bytes(16, 6);
    const { fd, ses } = gcmSession(k);
    const n = bytes(12, 7);
    const data = bytes(32, 8);
    const out = new Uint8Array(32);
    fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses, op: COP_ENCRYPT, len: 32, src: data, dst: out, iv: n, mac: new Uint8Array(16) }));
    const oneByteIv = new Uint8Array(12);
    oneByteIv[0] = n[0]!;
    expect(hex(out)).toBe(hex(opensslGcm(k, oneByteIv, new Uint8Array(0), data).ct));
  });
});

describe('a cipher and an HMAC through CIOCCRYPTAEAD', () => {
  it('is accepted, but the HMAC covers only the AAD and nothing is verified (as in 2015).', () => {
    const m = machine({ allowsoft: 1 });
    const fd = m.cryptodev();
    const key = bytes(16, 1);
    const mackey = bytes(20, 2);
    const sop = new session2_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key, mac: CRYPTO_SHA1_HMAC, mackeylen: 20, mackey, crid: CRYPTOCAP_F_SOFTWARE });
    fd.ioctlSync(CIOCGSESSION2, sop);
    const iv = bytes(16, 3);
    const pt = bytes(32, 4);
    const aad = bytes(24, 5);
    const ct = new Uint8Array(32);
    const tag = new Uint8Array(20);
    fd.ioctlSync(CIOCCRYPTAEAD, new crypt_aead({ ses: sop.ses, op: COP_ENCRYPT, len: 32, aadlen: 24, ivlen: 16, src: pt, dst: ct, aad, tag, iv }));
    expect(hex(ct)).toBe(hex(aesCbc(key, iv, pt, true)));
    expect(hex(tag)).toBe(hex(hmac('sha1', mackey, aad)));
  });
});
