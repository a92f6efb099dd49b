/**
 * Every published vector file (/work/shared/vectors) through the framework: crypto_newsession →
 * crypto_dispatch → cryptosoft → callback, for every buffer layout (contiguous, mbuf chains with
 * straddling blocks, zero-length segments and crd_skip past the first segments, uio) and for both
 * backends. Bytes outside the region and the inject area must stay untouched.
 */
import { describe, expect, it } from 'vitest';
import { inflateRawSync } from 'node:zlib';
import type { Machine } from '../../../lab/machine.js';
import {
  CRD_F_COMP,
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRYPTO_3DES_CBC,
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_192_NIST_GMAC,
  CRYPTO_AES_256_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_ICM,
  CRYPTO_AES_NIST_GCM_16,
  CRYPTO_AES_NIST_GMAC,
  CRYPTO_AES_XTS,
  CRYPTO_ARC4,
  CRYPTO_BLF_CBC,
  CRYPTO_CAMELLIA_CBC,
  CRYPTO_CAST_CBC,
  CRYPTO_DEFLATE_COMP,
  CRYPTO_DES_CBC,
  CRYPTO_F_IMBUF,
  CRYPTO_MD5,
  CRYPTO_MD5_HMAC,
  CRYPTO_MD5_KPDK,
  CRYPTO_RIPEMD160_HMAC,
  CRYPTO_SHA1,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA1_KPDK,
  CRYPTO_SHA2_256_HMAC,
  CRYPTO_SHA2_384_HMAC,
  CRYPTO_SHA2_512_HMAC,
  CRYPTO_SKIPJACK_CBC,
  EBADMSG,
  EINVAL,
} from '../../../framework/constants.js';
import { BACKEND_NAMES, LAYOUTS, PREFIX, concat, dispatch, filler, framed, hex, loadVectors, machine, makeBuffer, newsessionError, session, toHex, type Layout } from './helpers.js';

type V = Record<string, string>;
type Runner = (m: Machine, layout: Layout, v: V) => void;

/** Run one request on a fresh buffer holding `bytes`; returns the outcome and the bytes after. */
function run(m: Machine, layout: Layout, sid: bigint, bytes: Uint8Array, descs: Parameters<typeof dispatch>[3]) {
  const b = makeBuffer(m, layout, bytes);
  try {
    const out = dispatch(m, sid, b, descs);
    return { ...out, after: b.bytes() };
  } finally {
    b.free();
  }
}

const sizeOk: Record<number, (n: number) => boolean> = {
  [CRYPTO_BLF_CBC]: (n) => n >= 5 && n <= 56,
  [CRYPTO_CAST_CBC]: (n) => n >= 5 && n <= 16,
};

/** CBC ciphers, AES-ICM and AES-XTS: encrypt with an explicit IV, decrypt with the IV in-band. */
function cipher(alg: number, ivlen: number): Runner {
  return (m, layout, v) => {
    const key = hex(v['key']!);
    if (sizeOk[alg] && !sizeOk[alg]!(key.length)) {
      expect(newsessionError(m, { alg, key }), 'a key size OCF refuses').toBe(EINVAL);
      return;
    }
    const sid = session(m, { alg, key });
    const iv = hex(v['iv']!);
    const pt = hex(v['plaintext']!);
    const ct = hex(v['ciphertext']!);
    const enc = run(m, layout, sid, framed(pt), [{ alg, skip: PREFIX, len: pt.length, flags: CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT, iv }]);
    expect(enc.etype).toBe(0);
    expect(toHex(enc.after)).toBe(toHex(framed(ct)));
    // The IV written at crd_inject (explicit, not present), just before the payload.
    const inj = run(m, layout, sid, framed(pt), [{ alg, skip: PREFIX, len: pt.length, inject: PREFIX - ivlen, flags: CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT, iv }]);
    const want = framed(ct);
    want.set(iv, PREFIX - ivlen);
    expect(toHex(inj.after)).toBe(toHex(want));
    // Decrypt: ICM needs the explicit IV; the others read it at crd_inject.
    const icm = alg === CRYPTO_AES_ICM;
    const dec = run(m, layout, sid, want, [{ alg, skip: PREFIX, len: ct.length, inject: PREFIX - ivlen, flags: icm ? CRD_F_IV_EXPLICIT : 0, ...(icm ? { iv } : {}) }]);
    expect(dec.etype).toBe(0);
    const plain = framed(pt);
    plain.set(iv, PREFIX - ivlen);
    expect(toHex(dec.after)).toBe(toHex(plain));
    m.crypto.crypto_freesession(sid);
  };
}

const arc4: Runner = (m, layout, v) => {
  const sid = session(m, { alg: CRYPTO_ARC4, key: hex(v['key']!) });
  const off = Number(v['stream_offset']);
  const zeros = new Uint8Array(off + 16);
  const r = run(m, layout, sid, framed(zeros), [{ alg: CRYPTO_ARC4, skip: PREFIX, len: zeros.length, flags: CRD_F_ENCRYPT }]);
  expect(r.etype).toBe(0);
  expect(toHex(r.after.subarray(PREFIX + off, PREFIX + off + 16))).toBe(v['ciphertext']);
  expect(toHex(r.after.subarray(0, PREFIX))).toBe(toHex(framed(zeros).subarray(0, PREFIX)));
  m.crypto.crypto_freesession(sid);
};

/** HMAC, KPDK, plain hashes: the digest (cri_mlen bytes) goes right after the data. */
function auth(alg: number, dataField: string, macField: string, keyed: boolean): Runner {
  return (m, layout, v) => {
    const data = v['message_repeat'] ? new Uint8Array(1_000_000).fill(0x61) : hex(v[dataField]!);
    const mac = hex(v[macField]!);
    const mlens = [v['mac_truncated_bytes'] ? Number(v['mac_truncated_bytes']) : 0];
    if (v['mac_truncated_96']) mlens.push(12);
    for (const mlen of mlens) {
      const sid = session(m, { alg, key: keyed ? hex(v['key']!) : null, mlen });
      const out = mlen || mac.length;
      const body = concat(data, new Uint8Array(out));
      const r = run(m, layout, sid, framed(body), [{ alg, skip: PREFIX, len: data.length, inject: PREFIX + data.length }]);
      expect(r.etype).toBe(0);
      const want = framed(body);
      want.set(mac.subarray(0, out), PREFIX + data.length);
      expect(toHex(r.after.subarray(PREFIX + data.length))).toBe(toHex(want.subarray(PREFIX + data.length)));
      expect(toHex(r.after.subarray(0, PREFIX + data.length))).toBe(toHex(want.subarray(0, PREFIX + data.length)));
      m.crypto.crypto_freesession(sid);
    }
  };
}

const gmacAuthAlg = (keyLen: number): number =>
  keyLen === 16 ? CRYPTO_AES_128_NIST_GMAC : keyLen === 24 ? CRYPTO_AES_192_NIST_GMAC : CRYPTO_AES_256_NIST_GMAC;

/** AES-GCM: cipher descriptor + GMAC descriptor (AAD region, tag after the ciphertext). */
const gcm: Runner = (m, layout, v) => {
  const key = hex(v['key']!);
  const mac = gmacAuthAlg(key.length);
  const sid = session(m, { alg: CRYPTO_AES_NIST_GCM_16, key }, { alg: mac, key });
  const [iv, aad, pt, ct, tag] = ['iv', 'aad', 'plaintext', 'ciphertext', 'tag'].map((f) => hex(v[f]!)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const klen = key.length * 8;
  const descs = (flags: number) => [
    { alg: CRYPTO_AES_NIST_GCM_16, skip: PREFIX + aad.length, len: pt.length, flags: flags | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT, iv, klen },
    { alg: mac, skip: PREFIX, len: aad.length, inject: PREFIX + aad.length + pt.length, klen },
  ];
  const enc = run(m, layout, sid, framed(concat(aad, pt, new Uint8Array(16))), descs(CRD_F_ENCRYPT));
  expect(enc.etype).toBe(0);
  const sealed = framed(concat(aad, ct, tag));
  expect(toHex(enc.after)).toBe(toHex(sealed));
  const dec = run(m, layout, sid, sealed, descs(0));
  expect(dec.etype).toBe(0);
  expect(toHex(dec.after)).toBe(toHex(framed(concat(aad, pt, tag))));
  const forged = sealed.slice();
  forged[forged.length - 9]! ^= 1; // last tag byte (the suffix is 8 bytes)
  const bad = run(m, layout, sid, forged, descs(0));
  expect(bad.etype).toBe(EBADMSG);
  expect(toHex(bad.after)).toBe(toHex(forged));
  m.crypto.crypto_freesession(sid);
};

/** AES-GMAC: the cipher side (24) has no data; the MAC side's region is the message. */
const gmac: Runner = (m, layout, v) => {
  const key = hex(v['key']!);
  const mac = gmacAuthAlg(key.length);
  const sid = session(m, { alg: CRYPTO_AES_NIST_GMAC }, { alg: mac, key });
  const [iv, aad, tag] = ['iv', 'aad', 'tag'].map((f) => hex(v[f]!)) as [Uint8Array, Uint8Array, Uint8Array];
  const descs = (flags: number) => [
    { alg: CRYPTO_AES_NIST_GMAC, skip: PREFIX, len: 0, flags: flags | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT, iv },
    { alg: mac, skip: PREFIX, len: aad.length, inject: PREFIX + aad.length },
  ];
  const enc = run(m, layout, sid, framed(concat(aad, new Uint8Array(16))), descs(CRD_F_ENCRYPT));
  expect(enc.etype).toBe(0);
  expect(toHex(enc.after)).toBe(toHex(framed(concat(aad, tag))));
  expect(run(m, layout, sid, framed(concat(aad, tag)), descs(0)).etype).toBe(0);
  const forged = framed(concat(aad, tag));
  forged[PREFIX]! ^= 0x80;
  expect(run(m, layout, sid, forged, descs(0)).etype).toBe(EBADMSG);
  m.crypto.crypto_freesession(sid);
};

/** DEFLATE: decompress the published stream; compress the input and inflate it back. */
const deflate: Runner = (m, layout, v) => {
  const sid = session(m, { alg: CRYPTO_DEFLATE_COMP });
  const input = hex(v['input']!);
  const compressed = hex(v['compressed']!);
  const grows = layout.kind === 'mbuf';
  const pad = grows ? 0 : Math.max(0, input.length - compressed.length);
  const src = concat(filler(PREFIX, 11), compressed, new Uint8Array(pad));
  const d = run(m, layout, sid, src, [{ alg: CRYPTO_DEFLATE_COMP, skip: PREFIX, len: compressed.length }]);
  expect(d.etype).toBe(0);
  expect(d.olen).toBe(input.length);
  expect(toHex(d.after.subarray(PREFIX, PREFIX + input.length))).toBe(toHex(input));
  // mbuf chains grow or are trimmed, uios are trimmed: the buffer ends with the output.
  if (layout.kind !== 'contig') expect(d.after.length).toBe(PREFIX + input.length);
  if (input.length === 0) {
    expect(run(m, layout, sid, filler(PREFIX, 11), [{ alg: CRYPTO_DEFLATE_COMP, skip: PREFIX, len: 0, flags: CRD_F_COMP }]).etype).toBe(EINVAL);
  } else {
    const c = run(m, layout, sid, concat(filler(PREFIX, 11), input), [{ alg: CRYPTO_DEFLATE_COMP, skip: PREFIX, len: input.length, flags: CRD_F_ENCRYPT }]);
    expect(c.etype).toBe(0);
    if (c.olen < input.length) {
      expect(toHex(inflateRawSync(c.after.subarray(PREFIX, PREFIX + c.olen)))).toBe(toHex(input));
      if (layout.kind !== 'contig') expect(c.after.length).toBe(PREFIX + c.olen);
    } else {
      expect(toHex(c.after.subarray(PREFIX))).toBe(toHex(input)); // compression was useless
    }
  }
  m.crypto.crypto_freesession(sid);
};

const SUITES: readonly [string, Runner][] = [
  ['des-cbc', cipher(CRYPTO_DES_CBC, 8)],
  ['3des-cbc', cipher(CRYPTO_3DES_CBC, 8)],
  ['blowfish-cbc', cipher(CRYPTO_BLF_CBC, 8)],
  ['cast128-cbc', cipher(CRYPTO_CAST_CBC, 8)],
  ['skipjack-cbc', cipher(CRYPTO_SKIPJACK_CBC, 8)],
  ['aes-cbc', cipher(CRYPTO_AES_CBC, 16)],
  ['camellia-cbc', cipher(CRYPTO_CAMELLIA_CBC, 16)],
  ['aes-icm', cipher(CRYPTO_AES_ICM, 16)],
  ['aes-xts', cipher(CRYPTO_AES_XTS, 8)],
  ['arc4', arc4],
  ['hmac-md5', auth(CRYPTO_MD5_HMAC, 'data', 'mac', true)],
  ['hmac-sha1', auth(CRYPTO_SHA1_HMAC, 'data', 'mac', true)],
  ['hmac-ripemd160', auth(CRYPTO_RIPEMD160_HMAC, 'data', 'mac', true)],
  ['hmac-sha2-256', auth(CRYPTO_SHA2_256_HMAC, 'data', 'mac', true)],
  ['hmac-sha2-384', auth(CRYPTO_SHA2_384_HMAC, 'data', 'mac', true)],
  ['hmac-sha2-512', auth(CRYPTO_SHA2_512_HMAC, 'data', 'mac', true)],
  ['md5-kpdk', auth(CRYPTO_MD5_KPDK, 'data', 'mac', true)],
  ['sha1-kpdk', auth(CRYPTO_SHA1_KPDK, 'data', 'mac', true)],
  ['md5', auth(CRYPTO_MD5, 'message', 'digest', false)],
  ['sha1', auth(CRYPTO_SHA1, 'message', 'digest', false)],
  ['aes-gcm-16', gcm],
  ['aes-gmac', gmac],
  ['deflate', deflate],
];

describe.each(BACKEND_NAMES)('cryptosoft on the %s backend passes every published vector through the framework', (backend) => {
  const m = machine(backend);
  describe.each(LAYOUTS)('in a $name buffer', (layout) => {
    it.each(SUITES)('%s', (file, runner) => {
      // Vectors without a key (the CAST-128 maintenance test) have no single-request form.
      for (const v of loadVectors<V>(file).filter((x) => x['kind'] === undefined)) {
        try {
          runner(m, layout, v);
        } catch (e) {
          if (e instanceof Error) e.message = `${file} "${v['id']}": ${e.message}`;
          throw e;
        }
      }
      expect(m.violationReport()).toBe('');
      expect(m.crypto.outstanding).toBe(0);
      expect(m.cryptosoft.sessions.live).toBe(0);
    });
  });
});

it('every buffer layout of the suite really splits the data as intended', () => {
  const m = machine('noble');
  const b = makeBuffer(m, LAYOUTS[4]!, new Uint8Array(64));
  expect(b.flags).toBe(CRYPTO_F_IMBUF);
  let seg = b.buf as import('../../../sim/mbuf.js').mbuf | null;
  const lens: number[] = [];
  for (; seg; seg = seg.m_next) lens.push(seg.m_len);
  expect(lens.slice(0, 4).reduce((a, x) => a + x, 0)).toBe(PREFIX);
  expect(lens).toContain(0);
  b.free();
});
