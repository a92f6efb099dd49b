/**
 * AES-GCM / GMAC's two-descriptor construction in cryptosoft (reference/ocf.md §3.5).
 */
import { describe, expect, it } from 'vitest';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_256_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_NIST_GCM_16,
  CRYPTO_AES_NIST_GMAC,
  EBADMSG,
  EINVAL,
} from '../../../framework/constants.js';
import { createBackend } from '../../../framework/xform/backend.js';
import { Prng } from '../../../sim/prng.js';
import { BACKEND_NAMES, LAYOUTS, PREFIX, concat, dispatch, filler, framed, machine, makeBuffer, session, toHex, type DescSpec } from './helpers.js';
import type { Machine } from '../../../lab/machine.js';
import type { Layout } from './helpers.js';

const ref = createBackend({ prefer: 'noble' });
const K = filler(16, 31);
const IV = filler(12, 32);
const AAD = filler(20, 33);
const PT = filler(45, 34);

function once(m: Machine, layout: Layout, sid: bigint, bytes: Uint8Array, descs: DescSpec[]) {
  const b = makeBuffer(m, layout, bytes);
  const out = dispatch(m, sid, b, descs);
  const after = b.bytes();
  b.free();
  return { ...out, after };
}

/** The usual layout: prefix, AAD, payload, 16-byte tag, suffix. */
function descs(flags: number, over: { cipher?: Partial<DescSpec>; mac?: Partial<DescSpec>; macAlg?: number } = {}): DescSpec[] {
  return [
    { alg: CRYPTO_AES_NIST_GCM_16, skip: PREFIX + AAD.length, len: PT.length, flags, iv: IV, klen: 128, ...over.cipher },
    { alg: over.macAlg ?? CRYPTO_AES_128_NIST_GMAC, skip: PREFIX, len: AAD.length, inject: PREFIX + AAD.length + PT.length, klen: 128, ...over.mac },
  ];
}

const SEALED_BODY = concat(AAD, PT, new Uint8Array(16));

describe.each(BACKEND_NAMES)('GCM on the %s backend', (backend) => {
  describe.each(LAYOUTS)('in a $name buffer', (layout) => {
    it('leaves the buffer as ciphertext and answers EBADMSG when the tag does not match', () => {
      const m = machine(backend);
      const sid = session(m, { alg: CRYPTO_AES_NIST_GCM_16, key: K }, { alg: CRYPTO_AES_128_NIST_GMAC, key: K });
      const enc = once(m, layout, sid, framed(SEALED_BODY), descs(CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT));
      expect(enc.etype).toBe(0);
      for (const at of [PREFIX, PREFIX + AAD.length + 3, PREFIX + AAD.length + PT.length + 15]) {
        const bad = enc.after.slice();
        bad[at]! ^= 0x01;
        const r = once(m, layout, sid, bad, descs(CRD_F_IV_EXPLICIT));
        expect(r.etype, `flipped byte ${at}`).toBe(EBADMSG);
        expect(toHex(r.after)).toBe(toHex(bad));
      }
    });

    it('writes a generated 12-byte IV at the cipher descriptor\'s crd_inject (GMAC), and reads it back there', () => {
      const m = machine(backend, { seed: 5 });
      const sid = session(m, { alg: CRYPTO_AES_NIST_GMAC }, { alg: CRYPTO_AES_256_NIST_GMAC, key: filler(32) });
      const d = (flags: number): DescSpec[] => [
        { alg: CRYPTO_AES_NIST_GMAC, skip: PREFIX, len: 0, inject: 4, flags },
        { alg: CRYPTO_AES_256_NIST_GMAC, skip: PREFIX, len: AAD.length, inject: PREFIX + AAD.length },
      ];
      const r = once(m, layout, sid, framed(concat(AAD, new Uint8Array(16))), d(CRD_F_ENCRYPT));
      expect(r.etype).toBe(0);
      const iv = new Prng(5).stream('cryptosoft.iv').bytes(12);
      expect(toHex(r.after.subarray(4, 16))).toBe(toHex(iv));
      expect(toHex(r.after.subarray(PREFIX + AAD.length, PREFIX + AAD.length + 16))).toBe(toHex(ref.aesGmac(filler(32), iv, AAD)));
      expect(once(m, layout, sid, r.after, d(0)).etype).toBe(0);
    });

    it('takes the keystream from the cipher key and H and the tag mask from the MAC key', () => {
      const m = machine(backend);
      const km = filler(16, 40);
      const sid = session(m, { alg: CRYPTO_AES_NIST_GCM_16, key: K }, { alg: CRYPTO_AES_128_NIST_GMAC, key: km });
      const enc = once(m, layout, sid, framed(SEALED_BODY), descs(CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT));
      const ct = PT.slice();
      const j1 = new Uint8Array(16);
      j1.set(IV);
      j1[15] = 2;
      ref.aesIcm(K, j1, ct);
      expect(toHex(enc.after)).toBe(toHex(framed(concat(AAD, ct, ref.aesGcmTag(km, IV, AAD, ct)))));
      const dec = once(m, layout, sid, enc.after, descs(CRD_F_IV_EXPLICIT));
      expect(dec.etype).toBe(0);
      expect(toHex(dec.after.subarray(PREFIX + AAD.length, PREFIX + AAD.length + PT.length))).toBe(toHex(PT));
    });
  });

  it('needs both descriptors, an explicit IV, equal crd_klen, and nothing else in the request', () => {
    const m = machine(backend);
    const layout = LAYOUTS[0]!;
    const sid = session(m, { alg: CRYPTO_AES_NIST_GCM_16, key: K }, { alg: CRYPTO_AES_128_NIST_GMAC, key: K }, { alg: CRYPTO_AES_CBC, key: K });
    const ok = CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT;
    const body = framed(SEALED_BODY);
    expect(once(m, layout, sid, body, descs(ok)).etype).toBe(0);
    expect(once(m, layout, sid, body, descs(ok).slice(0, 1)).etype).toBe(EINVAL);
    expect(once(m, layout, sid, body, descs(ok).slice(1)).etype).toBe(EINVAL);
    expect(once(m, layout, sid, body, descs(CRD_F_ENCRYPT | CRD_F_IV_PRESENT)).etype).toBe(EINVAL);
    expect(once(m, layout, sid, body, descs(ok, { mac: { klen: 256 } })).etype).toBe(EINVAL);
    const extra: DescSpec = { alg: CRYPTO_AES_CBC, skip: PREFIX, len: 16, flags: ok, iv: filler(16) };
    const r = once(m, layout, sid, body, [...descs(ok), extra]);
    expect(r.etype).toBe(EINVAL);
    expect(toHex(r.after)).toBe(toHex(body));
    // A MAC-side algorithm the session does not have.
    expect(once(m, layout, sid, body, descs(ok, { macAlg: CRYPTO_AES_256_NIST_GMAC })).etype).toBe(EINVAL);
  });

  it('always writes and checks all 16 tag bytes (cri_mlen is ignored)', () => {
    const m = machine(backend);
    const sid = session(m, { alg: CRYPTO_AES_NIST_GCM_16, key: K }, { alg: CRYPTO_AES_128_NIST_GMAC, key: K, mlen: 12 });
    const r = once(m, LAYOUTS[2]!, sid, framed(SEALED_BODY), descs(CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT));
    const ct = PT.slice();
    const tag = ref.aesGcmEncrypt(K, IV, AAD, ct);
    expect(toHex(r.after)).toBe(toHex(framed(concat(AAD, ct, tag))));
  });

  it('refuses a GMAC cipher descriptor with data (FreeBSD called a NULL function there)', () => {
    const m = machine(backend);
    const sid = session(m, { alg: CRYPTO_AES_NIST_GMAC }, { alg: CRYPTO_AES_128_NIST_GMAC, key: K });
    const r = once(m, LAYOUTS[0]!, sid, framed(SEALED_BODY), descs(CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT, { cipher: { alg: CRYPTO_AES_NIST_GMAC } }));
    expect(r.etype).toBe(EINVAL);
  });
});
