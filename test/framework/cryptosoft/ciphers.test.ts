/**
 * cryptosoft's cipher and authenticator rules (reference/ocf.md §3.1-§3.6): IVs (explicit,
 * present, generated and injected, read in-band), descriptor order, crd_inject, cri_mlen, the XTS
 * tweak, ICM of any length, CRD_F_KEY_EXPLICIT. Run over every layout and both backends.
 */
import { describe, expect, it } from 'vitest';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRD_F_KEY_EXPLICIT,
  CRYPTO_AES_CBC,
  CRYPTO_AES_ICM,
  CRYPTO_AES_XTS,
  CRYPTO_ARC4,
  CRYPTO_BLF_CBC,
  CRYPTO_MD5_KPDK,
  CRYPTO_NULL_HMAC,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA2_256_HMAC,
  EINVAL,
} from '../../../framework/constants.js';
import { createBackend } from '../../../framework/xform/backend.js';
import { Prng } from '../../../sim/prng.js';
import { BACKEND_NAMES, LAYOUTS, PREFIX, concat, dispatch, filler, framed, hex, machine, makeBuffer, session, toHex, type DescSpec } from './helpers.js';
import type { Machine } from '../../../lab/machine.js';
import type { Layout } from './helpers.js';

const ref = createBackend({ prefer: 'noble' });
const KEY = filler(16, 21);
const HKEY = filler(20, 22);

function once(m: Machine, layout: Layout, sid: bigint, bytes: Uint8Array, descs: DescSpec[]) {
  const b = makeBuffer(m, layout, bytes);
  const out = dispatch(m, sid, b, descs);
  const after = b.bytes();
  b.free();
  return { ...out, after };
}

describe.each(BACKEND_NAMES)('on the %s backend', (backend) => {
  describe.each(LAYOUTS)('in a $name buffer', (layout) => {
    it('encrypts with a generated IV from the machine PRNG and writes it at crd_inject when IV_PRESENT is clear', () => {
      const m = machine(backend, { seed: 77 });
      const sid = session(m, { alg: CRYPTO_AES_CBC, key: KEY });
      const pt = filler(48, 1);
      const r = once(m, layout, sid, framed(pt), [{ alg: CRYPTO_AES_CBC, skip: PREFIX, len: 48, inject: PREFIX - 16, flags: CRD_F_ENCRYPT }]);
      expect(r.etype).toBe(0);
      const iv = new Prng(77).stream('cryptosoft.iv').bytes(16);
      const ct = pt.slice();
      ref.cbcEncrypt(CRYPTO_AES_CBC, KEY, iv, ct);
      const want = framed(ct);
      want.set(iv, PREFIX - 16);
      expect(toHex(r.after)).toBe(toHex(want));
    });

    it('does not write the IV when IV_PRESENT is set (generated or explicit)', () => {
      const m = machine(backend, { seed: 78 });
      const sid = session(m, { alg: CRYPTO_BLF_CBC, key: KEY });
      const pt = filler(24, 2);
      const r = once(m, layout, sid, framed(pt), [{ alg: CRYPTO_BLF_CBC, skip: PREFIX, len: 24, inject: 0, flags: CRD_F_ENCRYPT | CRD_F_IV_PRESENT }]);
      expect(r.etype).toBe(0);
      const iv = new Prng(78).stream('cryptosoft.iv').bytes(8);
      const ct = pt.slice();
      ref.cbcEncrypt(CRYPTO_BLF_CBC, KEY, iv, ct);
      expect(toHex(r.after)).toBe(toHex(framed(ct)));
    });

    it('decrypts with the IV read in-band at crd_inject, or with an explicit IV that overrides it', () => {
      const m = machine(backend);
      const sid = session(m, { alg: CRYPTO_AES_CBC, key: KEY });
      const iv = filler(16, 3);
      const pt = filler(32, 4);
      const ct = pt.slice();
      ref.cbcEncrypt(CRYPTO_AES_CBC, KEY, iv, ct);
      const sealed = framed(ct);
      sealed.set(iv, 0);
      const inband = once(m, layout, sid, sealed, [{ alg: CRYPTO_AES_CBC, skip: PREFIX, len: 32, inject: 0 }]);
      expect(toHex(inband.after.subarray(PREFIX, PREFIX + 32))).toBe(toHex(pt));
      const other = filler(16, 5);
      const explicit = once(m, layout, sid, sealed, [{ alg: CRYPTO_AES_CBC, skip: PREFIX, len: 32, inject: 0, flags: CRD_F_IV_EXPLICIT, iv: other }]);
      const wrong = ct.slice();
      ref.cbcDecrypt(CRYPTO_AES_CBC, KEY, other, wrong);
      expect(toHex(explicit.after.subarray(PREFIX, PREFIX + 32))).toBe(toHex(wrong));
    });

    it('runs descriptors in order: encrypt-then-MAC authenticates the ciphertext, MAC-then-decrypt too', () => {
      const m = machine(backend);
      const sid = session(m, { alg: CRYPTO_AES_CBC, key: KEY }, { alg: CRYPTO_SHA1_HMAC, key: HKEY, mlen: 12 });
      const iv = filler(16, 6);
      const pt = filler(64, 7);
      const body = concat(pt, new Uint8Array(12));
      const etm = once(m, layout, sid, framed(body), [
        { alg: CRYPTO_AES_CBC, skip: PREFIX, len: 64, flags: CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT, iv },
        { alg: CRYPTO_SHA1_HMAC, skip: PREFIX, len: 64, inject: PREFIX + 64 },
      ]);
      const ct = pt.slice();
      ref.cbcEncrypt(CRYPTO_AES_CBC, KEY, iv, ct);
      const mac = ref.hmac(CRYPTO_SHA1_HMAC, HKEY, ct).subarray(0, 12);
      expect(toHex(etm.after)).toBe(toHex(framed(concat(ct, mac))));
      const mtd = once(m, layout, sid, etm.after, [
        { alg: CRYPTO_SHA1_HMAC, skip: PREFIX, len: 64, inject: PREFIX + 64 },
        { alg: CRYPTO_AES_CBC, skip: PREFIX, len: 64, flags: CRD_F_IV_EXPLICIT, iv },
      ]);
      expect(toHex(mtd.after)).toBe(toHex(framed(concat(pt, mac))));
      // The other order on decrypt (decrypt-then-MAC) authenticates the plaintext.
      const dtm = once(m, layout, sid, etm.after, [
        { alg: CRYPTO_AES_CBC, skip: PREFIX, len: 64, flags: CRD_F_IV_EXPLICIT, iv },
        { alg: CRYPTO_SHA1_HMAC, skip: PREFIX, len: 64, inject: PREFIX + 64 },
      ]);
      expect(toHex(dtm.after)).toBe(toHex(framed(concat(pt, ref.hmac(CRYPTO_SHA1_HMAC, HKEY, pt).subarray(0, 12)))));
    });

    it('writes the digest at crd_inject wherever it is, truncated to cri_mlen, never verifying one', () => {
      const m = machine(backend);
      const data = filler(40, 8);
      for (const mlen of [0, 1, 16, 32]) {
        const sid = session(m, { alg: CRYPTO_SHA2_256_HMAC, key: filler(32), mlen });
        const r = once(m, layout, sid, framed(concat(data, new Uint8Array(40))), [{ alg: CRYPTO_SHA2_256_HMAC, skip: PREFIX, len: 40, inject: 2 }]);
        expect(r.etype).toBe(0);
        const n = mlen || 32;
        const want = framed(concat(data, new Uint8Array(40)));
        want.set(ref.hmac(CRYPTO_SHA2_256_HMAC, filler(32), data).subarray(0, n), 2);
        expect(toHex(r.after), `mlen ${mlen}`).toBe(toHex(want));
      }
    });

    it('writes NULL-HMAC as zeros (16 bytes or cri_mlen)', () => {
      const m = machine(backend);
      const sid = session(m, { alg: CRYPTO_NULL_HMAC, mlen: 12 });
      const bytes = framed(filler(20, 9), 16);
      const r = once(m, layout, sid, bytes, [{ alg: CRYPTO_NULL_HMAC, skip: PREFIX, len: 20, inject: PREFIX + 20 }]);
      const want = bytes.slice();
      want.fill(0, PREFIX + 20, PREFIX + 32);
      expect(toHex(r.after)).toBe(toHex(want));
    });

    it('uses the 8-byte XTS IV as the little-endian data-unit number (tweak = iv ‖ 0^8)', () => {
      // tests/sys/opencrypto/cryptodev.py's sanity vector (ocf.md §7.5): sector 71.
      const m = machine(backend);
      const key = hex('1bbfeadf539daedcae33ced497343f3ca1f2474ad932b903997d44707db41382');
      const sid = session(m, { alg: CRYPTO_AES_XTS, key });
      const sector = new Uint8Array(8);
      new DataView(sector.buffer).setBigUint64(0, 71n, true);
      const r = once(m, layout, sid, framed(hex('52a42bca4e9425a25bbc8c8bf6129dec')), [
        { alg: CRYPTO_AES_XTS, skip: PREFIX, len: 16, flags: CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT, iv: sector },
      ]);
      expect(toHex(r.after.subarray(PREFIX, PREFIX + 16))).toBe('517e602becd066b65fa4f4f56ddfe240');
    });

    it('runs AES-ICM over any length, and refuses it without an explicit IV', () => {
      const m = machine(backend);
      const sid = session(m, { alg: CRYPTO_AES_ICM, key: KEY });
      const ctr = hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
      for (const len of [1, 15, 17, 33]) {
        const pt = filler(len, len);
        const r = once(m, layout, sid, framed(pt), [{ alg: CRYPTO_AES_ICM, skip: PREFIX, len, flags: CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT, iv: ctr }]);
        const ct = pt.slice();
        ref.aesIcm(KEY, ctr, ct);
        expect(toHex(r.after), `len ${len}`).toBe(toHex(framed(ct)));
      }
      expect(once(m, layout, sid, framed(filler(16)), [{ alg: CRYPTO_AES_ICM, skip: PREFIX, len: 16, flags: CRD_F_ENCRYPT }]).etype).toBe(EINVAL);
      expect(once(m, layout, sid, framed(filler(16)), [{ alg: CRYPTO_AES_ICM, skip: PREFIX, len: 16, inject: 0 }]).etype).toBe(EINVAL);
    });

    it('rekeys permanently on CRD_F_KEY_EXPLICIT (cipher and HMAC), and needs it when the session has no key', () => {
      const m = machine(backend);
      const iv = filler(16, 10);
      const enc = CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT;
      const other = filler(32, 11);
      const sid = session(m, { alg: CRYPTO_AES_CBC, key: KEY }, { alg: CRYPTO_SHA1_HMAC, key: HKEY });
      const pt = filler(32, 12);
      const body = concat(pt, new Uint8Array(20));
      const cbc = (pt2: Uint8Array, key: Uint8Array): Uint8Array => {
        const c = pt2.slice();
        ref.cbcEncrypt(CRYPTO_AES_CBC, key, iv, c);
        return c;
      };
      const r1 = once(m, layout, sid, framed(body), [
        { alg: CRYPTO_AES_CBC, skip: PREFIX, len: 32, flags: enc | CRD_F_KEY_EXPLICIT, iv, key: other },
        { alg: CRYPTO_SHA1_HMAC, skip: PREFIX, len: 32, inject: PREFIX + 32, flags: CRD_F_KEY_EXPLICIT, key: filler(64, 13) },
      ]);
      const c1 = cbc(pt, other);
      expect(toHex(r1.after)).toBe(toHex(framed(concat(c1, ref.hmac(CRYPTO_SHA1_HMAC, filler(64, 13), c1)))));
      // The next request without the flag still uses the new keys.
      const r2 = once(m, layout, sid, framed(body), [
        { alg: CRYPTO_AES_CBC, skip: PREFIX, len: 32, flags: enc, iv },
        { alg: CRYPTO_SHA1_HMAC, skip: PREFIX, len: 32, inject: PREFIX + 32 },
      ]);
      expect(toHex(r2.after)).toBe(toHex(r1.after));
      // A bad explicit key is EINVAL and leaves the schedule as it was.
      expect(once(m, layout, sid, framed(body), [{ alg: CRYPTO_AES_CBC, skip: PREFIX, len: 32, flags: enc | CRD_F_KEY_EXPLICIT, iv, key: filler(15) }]).etype).toBe(EINVAL);
      const keyless = session(m, { alg: CRYPTO_AES_CBC, key: null }, { alg: CRYPTO_MD5_KPDK, key: null });
      expect(once(m, layout, keyless, framed(pt), [{ alg: CRYPTO_AES_CBC, skip: PREFIX, len: 32, flags: enc, iv }]).etype).toBe(EINVAL);
      expect(once(m, layout, keyless, framed(body), [{ alg: CRYPTO_MD5_KPDK, skip: PREFIX, len: 12, inject: PREFIX + 12 }]).etype).toBe(EINVAL);
      const r3 = once(m, layout, keyless, framed(pt), [{ alg: CRYPTO_AES_CBC, skip: PREFIX, len: 32, flags: enc | CRD_F_KEY_EXPLICIT, iv, key: KEY }]);
      expect(toHex(r3.after)).toBe(toHex(framed(cbc(pt, KEY))));
    });

    it('runs ARC4 from a fresh key schedule on every request, with no IV read or written', () => {
      const m = machine(backend);
      const sid = session(m, { alg: CRYPTO_ARC4, key: KEY });
      const pt = filler(50, 14);
      const a = once(m, layout, sid, framed(pt), [{ alg: CRYPTO_ARC4, skip: PREFIX, len: 50, inject: 0, flags: CRD_F_ENCRYPT }]);
      const b = once(m, layout, sid, framed(pt), [{ alg: CRYPTO_ARC4, skip: PREFIX, len: 50, inject: 0, flags: CRD_F_ENCRYPT }]);
      const ct = pt.slice();
      ref.arc4(KEY, ct);
      expect(toHex(a.after)).toBe(toHex(framed(ct)));
      expect(toHex(b.after)).toBe(toHex(a.after));
    });
  });
});

describe('injected data and mbuf chains', () => {
  it('extends an mbuf chain when the digest goes past its end, but refuses that for contiguous and uio buffers', () => {
    const m = machine('openssl');
    const sid = session(m, { alg: CRYPTO_SHA1_HMAC, key: HKEY });
    const data = filler(30, 15);
    for (const layout of LAYOUTS) {
      const r = once(m, layout, sid, data, [{ alg: CRYPTO_SHA1_HMAC, skip: 0, len: 30, inject: 30 }]);
      if (layout.kind === 'mbuf') {
        expect(r.etype).toBe(0);
        expect(toHex(r.after)).toBe(toHex(concat(data, ref.hmac(CRYPTO_SHA1_HMAC, HKEY, data))));
      } else {
        expect(r.etype, layout.name).toBe(EINVAL);
        expect(toHex(r.after)).toBe(toHex(data));
      }
    }
  });
});

it('refuses a digest that would start past the end of an mbuf chain (no zero-filled gap)', () => {
  const m = machine('noble');
  const sid = session(m, { alg: CRYPTO_SHA1_HMAC, key: HKEY });
  const data = filler(30, 16);
  const r = once(m, LAYOUTS[3]!, sid, data, [{ alg: CRYPTO_SHA1_HMAC, skip: 0, len: 30, inject: 31 }]);
  expect(r.etype).toBe(EINVAL);
  expect(toHex(r.after)).toBe(toHex(data));
});
