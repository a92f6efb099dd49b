/**
 * cryptosoft as a driver: attach and registration, the session table (lids, growth, reuse, wiping),
 * key-size checks at newsession, and the errors of swcr_process.
 */
import { describe, expect, it } from 'vitest';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRK_ALGORITHM_MAX,
  CRYPTO_3DES_CBC,
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_ICM,
  CRYPTO_AES_NIST_GCM_16,
  CRYPTO_AES_XTS,
  CRYPTO_ALG_FLAG_SUPPORTED,
  CRYPTO_ALGORITHM_MAX,
  CRYPTO_ARC4,
  CRYPTO_BLF_CBC,
  CRYPTO_CAMELLIA_CBC,
  CRYPTO_CAST_CBC,
  CRYPTO_DES_CBC,
  CRYPTO_F_IMBUF,
  CRYPTO_F_IOV,
  CRYPTO_MD5,
  CRYPTO_NULL_CBC,
  CRYPTO_SHA1,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA2_256_HMAC,
  CRYPTO_SKIPJACK_CBC,
  CRYPTOCAP_F_SOFTWARE,
  CRYPTOCAP_F_SYNC,
  CRYPTO_SW_SESSIONS,
  EINVAL,
  ENOENT,
} from '../../../framework/constants.js';
import { CRYPTO_SESID2CAPS, CRYPTO_SESID2HID, CRYPTO_SESID2LID } from '../../../framework/drivers.js';
import { LAYOUTS, PREFIX, dispatch, filler, framed, machine, makeBuffer, newsessionError, session, toHex } from './helpers.js';

const key16 = filler(16, 3);

describe('cryptosoft attaches as the software driver of every machine', () => {
  it('registers as cryptosoft0 with CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC', () => {
    const m = machine('noble');
    const hid = m.cryptosoft.hid;
    expect(m.crypto.crypto_find_driver('cryptosoft')).toBe(hid);
    expect(m.crypto.crypto_getcaps(hid)).toBe(CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC);
    expect(m.console.map((l) => l.text)).toContain(`crypto: assign cryptosoft0 driver id ${hid}, flags 0x6000000`);
  });

  it('registers all 28 algorithms of crypto(9) and all five keying operations', () => {
    const m = machine('noble');
    const cap = m.crypto.drivers.slots[m.cryptosoft.hid]!;
    for (let alg = 1; alg <= CRYPTO_ALGORITHM_MAX; alg++) expect(cap.cc_alg[alg]! & CRYPTO_ALG_FLAG_SUPPORTED, `alg ${alg}`).toBe(1);
    for (let k = 0; k <= CRK_ALGORITHM_MAX; k++) expect(cap.cc_kalg[k]! & CRYPTO_ALG_FLAG_SUPPORTED, `kalg ${k}`).toBe(1);
  });

  it('gives the first session the SID 0x06000000_00000001 shape: caps byte 0x06, its driver id, lid 1', () => {
    const m = machine('noble');
    const sid = session(m, { alg: CRYPTO_AES_CBC, key: key16 });
    expect(CRYPTO_SESID2CAPS(sid)).toBe(CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC);
    expect(CRYPTO_SESID2HID(sid)).toBe(m.cryptosoft.hid);
    expect(CRYPTO_SESID2LID(sid)).toBe(1);
  });

  it('accepts sessions for plain MD5, plain SHA1 and ARC4, which FreeBSD\'s cryptosoft refused or lacked', () => {
    const m = machine('openssl');
    expect(newsessionError(m, { alg: CRYPTO_MD5 })).toBe(0);
    expect(newsessionError(m, { alg: CRYPTO_SHA1 })).toBe(0);
    expect(newsessionError(m, { alg: CRYPTO_ARC4, key: key16 })).toBe(0);
  });
});

describe('the session table works like swcr_sessions', () => {
  it('hands out lids from 1, reuses the lowest free one, and grows from 32 by doubling', () => {
    const m = machine('noble');
    const sids = Array.from({ length: CRYPTO_SW_SESSIONS + 1 }, () => session(m, { alg: CRYPTO_NULL_CBC }));
    expect(sids.map(CRYPTO_SESID2LID)).toEqual(Array.from({ length: CRYPTO_SW_SESSIONS + 1 }, (_, i) => i + 1));
    expect(m.cryptosoft.sessions.size).toBe(2 * CRYPTO_SW_SESSIONS);
    expect(m.crypto.crypto_freesession(sids[4]!)).toBe(0);
    expect(m.crypto.crypto_freesession(sids[2]!)).toBe(0);
    expect(CRYPTO_SESID2LID(session(m, { alg: CRYPTO_NULL_CBC }))).toBe(3);
    expect(CRYPTO_SESID2LID(session(m, { alg: CRYPTO_NULL_CBC }))).toBe(5);
  });

  it('starts with an empty table whose first growth is CRYPTO_SW_SESSIONS entries', () => {
    const m = machine('noble');
    expect(m.cryptosoft.sessions.size).toBe(0);
    session(m, { alg: CRYPTO_NULL_CBC });
    expect(m.cryptosoft.sessions.size).toBe(CRYPTO_SW_SESSIONS);
  });

  it('wipes key material when a session is freed', () => {
    const m = machine('noble');
    const key = filler(32, 9);
    const sid = session(m, { alg: CRYPTO_AES_XTS, key }, { alg: CRYPTO_SHA1_HMAC, key: filler(20) });
    const data = m.cryptosoft.sessions.get(CRYPTO_SESID2LID(sid))!;
    const raw = data[0]!.sw_key!;
    const hmac = data[1]!.sw_hmac!;
    expect(raw.some((b) => b !== 0)).toBe(true);
    expect(m.crypto.crypto_freesession(sid)).toBe(0);
    expect(raw.every((b) => b === 0)).toBe(true);
    expect(() => hmac.mac(new Uint8Array(1))).toThrow(/after wipe/);
    expect(data.every((sw) => !sw.keyed)).toBe(true);
    expect(m.cryptosoft.sessions.get(CRYPTO_SESID2LID(sid))).toBeNull();
  });

  it('refuses to free lid 0 or a session that does not exist (EINVAL), as the driver', () => {
    const m = machine('noble');
    expect(m.cryptosoft.swcr_freesession(0n)).toBe(EINVAL);
    expect(m.cryptosoft.swcr_freesession(5n)).toBe(EINVAL);
    expect(m.cryptosoft.swcr_freesession(BigInt(CRYPTO_SW_SESSIONS))).toBe(EINVAL);
  });

  it('keeps a session when one of its algorithms is unknown or badly keyed, i.e. makes none at all', () => {
    const m = machine('noble');
    expect(newsessionError(m, { alg: CRYPTO_AES_CBC, key: key16 }, { alg: 99 })).toBe(EINVAL);
    expect(m.cryptosoft.sessions.live).toBe(0);
  });
});

describe('newsession checks key sizes (cri_klen in bits)', () => {
  it.each([
    ['DES with 7 bytes', CRYPTO_DES_CBC, 7],
    ['3DES with 16 bytes', CRYPTO_3DES_CBC, 16],
    ['Blowfish with 4 bytes', CRYPTO_BLF_CBC, 4],
    ['Blowfish with 57 bytes', CRYPTO_BLF_CBC, 57],
    ['CAST-128 with 17 bytes', CRYPTO_CAST_CBC, 17],
    ['Skipjack with 9 bytes', CRYPTO_SKIPJACK_CBC, 9],
    ['AES-CBC with 15 bytes', CRYPTO_AES_CBC, 15],
    ['AES-CBC with 20 bytes', CRYPTO_AES_CBC, 20],
    ['Camellia with 8 bytes', CRYPTO_CAMELLIA_CBC, 8],
    ['AES-XTS with 48 bytes', CRYPTO_AES_XTS, 48],
    ['AES-ICM with 20 bytes', CRYPTO_AES_ICM, 20],
    ['AES-GCM with 17 bytes', CRYPTO_AES_NIST_GCM_16, 17],
    ['AES-GMAC with 20 bytes', CRYPTO_AES_128_NIST_GMAC, 20],
    ['ARC4 with 33 bytes', CRYPTO_ARC4, 33],
    ['ARC4 with 0 bytes', CRYPTO_ARC4, 0],
  ])('%s is EINVAL', (_what, alg, bytes) => {
    const m = machine('noble');
    expect(newsessionError(m, { alg, key: filler(Math.max(1, bytes)), klen: bytes * 8 })).toBe(EINVAL);
  });

  it('uses cri_klen / 8 bytes of a longer cri_key, and refuses a cri_key shorter than cri_klen says', () => {
    const m = machine('noble');
    expect(newsessionError(m, { alg: CRYPTO_AES_CBC, key: filler(32), klen: 128 })).toBe(0);
    expect(newsessionError(m, { alg: CRYPTO_AES_CBC, key: filler(16), klen: 256 })).toBe(EINVAL);
  });

  it('refuses a cri_mlen longer than the digest', () => {
    const m = machine('noble');
    expect(newsessionError(m, { alg: CRYPTO_SHA2_256_HMAC, key: filler(32), mlen: 33 })).toBe(EINVAL);
    expect(newsessionError(m, { alg: CRYPTO_SHA2_256_HMAC, key: filler(32), mlen: 32 })).toBe(0);
  });
});

describe('swcr_process reports errors in crp_etype and always completes the request', () => {
  const enc = CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT;

  it('answers ENOENT for a session cryptosoft does not have (FreeBSD\'s value)', () => {
    const m = machine('noble');
    const sid = session(m, { alg: CRYPTO_AES_CBC, key: key16 });
    m.crypto.crypto_freesession(sid);
    const b = makeBuffer(m, LAYOUTS[0]!, new Uint8Array(16));
    expect(dispatch(m, sid, b, [{ alg: CRYPTO_AES_CBC, skip: 0, len: 16, flags: enc, iv: key16 }]).etype).toBe(ENOENT);
  });

  it('answers EINVAL for a descriptor whose algorithm is not in the session', () => {
    const m = machine('noble');
    const sid = session(m, { alg: CRYPTO_AES_CBC, key: key16 });
    const b = makeBuffer(m, LAYOUTS[0]!, new Uint8Array(16));
    expect(dispatch(m, sid, b, [{ alg: CRYPTO_DES_CBC, skip: 0, len: 16, flags: enc, iv: key16 }]).etype).toBe(EINVAL);
  });

  it.each([
    ['a region past the end of the buffer', { skip: 8, len: 16 }],
    ['a negative crd_skip', { skip: -1, len: 16 }],
    ['a length that is not a multiple of the block size', { skip: 0, len: 15 }],
  ])('answers EINVAL for %s, leaving the buffer untouched', (_what, r) => {
    const m = machine('noble');
    const sid = session(m, { alg: CRYPTO_AES_CBC, key: key16 });
    for (const layout of LAYOUTS) {
      const bytes = filler(16);
      const b = makeBuffer(m, layout, bytes);
      expect(dispatch(m, sid, b, [{ alg: CRYPTO_AES_CBC, ...r, flags: enc, iv: key16 }]).etype).toBe(EINVAL);
      expect(toHex(b.bytes())).toBe(toHex(bytes));
      b.free();
    }
  });

  it('answers EINVAL when crp_flags announce another kind of buffer than crp_buf is', () => {
    const m = machine('noble');
    const sid = session(m, { alg: CRYPTO_NULL_CBC });
    for (const flags of [CRYPTO_F_IMBUF, CRYPTO_F_IOV]) {
      const b = makeBuffer(m, LAYOUTS[0]!, new Uint8Array(16));
      expect(dispatch(m, sid, { ...b, flags }, [{ alg: CRYPTO_NULL_CBC, skip: 0, len: 16 }]).etype).toBe(EINVAL);
    }
  });

  it('stops at the first failing descriptor; what the earlier ones did remains', () => {
    const m = machine('noble');
    const sid = session(m, { alg: CRYPTO_AES_CBC, key: key16 }, { alg: CRYPTO_SHA1_HMAC, key: filler(20) });
    const plain = framed(filler(32, 5));
    const b = makeBuffer(m, LAYOUTS[3]!, plain);
    const out = dispatch(m, sid, b, [
      { alg: CRYPTO_AES_CBC, skip: PREFIX, len: 32, flags: enc, iv: key16 },
      { alg: CRYPTO_SHA1_HMAC, skip: PREFIX, len: 1000, inject: 0 },
    ]);
    expect(out.etype).toBe(EINVAL);
    const after = b.bytes();
    expect(toHex(after.subarray(PREFIX, PREFIX + 32))).not.toBe(toHex(plain.subarray(PREFIX, PREFIX + 32)));
    expect(toHex(after.subarray(0, PREFIX))).toBe(toHex(plain.subarray(0, PREFIX)));
  });

  it('completes NULL-CBC without looking at the data, the length or the IV', () => {
    const m = machine('noble');
    const sid = session(m, { alg: CRYPTO_NULL_CBC, key: filler(7) });
    const bytes = filler(13);
    const b = makeBuffer(m, LAYOUTS[0]!, bytes);
    expect(dispatch(m, sid, b, [{ alg: CRYPTO_NULL_CBC, skip: 0, len: 13, inject: 0, flags: CRD_F_ENCRYPT }]).etype).toBe(0);
    expect(toHex(b.bytes())).toBe(toHex(bytes));
  });
});
