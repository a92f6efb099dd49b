/**
 * cryptosoft-context.ts: one request reused over one buffer. The context keeps its last view of a
 * contiguous buffer and of crd_iv, and cryptosoft keeps one SwcrBuffer; a request that changes
 * its region, its buffer or its IV between dispatches must still compute over what it names now.
 * Also: CPU accesses to a contiguous buffer in machine memory are reported at the right addresses,
 * and the tabulated cost lookup gives swcrAlgCycles' figures exactly.
 */
import { describe, expect, it } from 'vitest';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_NIST_GMAC,
  CRYPTO_F_CBIMM,
  CRYPTO_SHA1_HMAC,
} from '../../../framework/constants.js';
import type { cryptop } from '../../../framework/structs.js';
import { SwcrContext } from '../../../framework/cryptosoft-context.js';
import { AMD64_2015_SWCOSTS, PENTIUM4_2003_SWCOSTS, swcrAlgCycles } from '../../../framework/swcosts.js';
import { createBackend } from '../../../framework/xform/backend.js';
import { Prng } from '../../../sim/prng.js';
import { M_WAITOK } from '../../../sim/memory.js';
import { BACKEND_NAMES, fillDesc, filler, machine, session, toHex, type DescSpec } from './helpers.js';
import type { Machine } from '../../../lab/machine.js';

const ref = createBackend({ prefer: 'noble' });
const K = filler(16, 41);

/** A request reused for every dispatch, as a ring slot or a benchmark reuses it. */
function reusable(m: Machine, sid: bigint, ndesc: number): { crp: cryptop; run(buf: Uint8Array, descs: DescSpec[]): number } {
  const crp = m.crypto.crypto_getreq(ndesc)!;
  crp.crp_sid = sid;
  crp.crp_flags = CRYPTO_F_CBIMM;
  let etype = -1;
  crp.crp_callback = (c) => {
    etype = c.crp_etype;
  };
  return {
    crp,
    run(buf, descs) {
      let d = crp.crp_desc;
      for (const s of descs) {
        // The specs name no IV, so crd_iv stays the array the test put there.
        fillDesc(d!, s);
        d = d!.crd_next;
      }
      crp.crp_buf = buf;
      crp.crp_ilen = buf.length;
      etype = -1;
      expect(m.crypto.crypto_dispatch(crp)).toBe(0);
      return etype;
    },
  };
}

const gmac = (skip: number, len: number, inject: number, ivAt: number): DescSpec[] => [
  { alg: CRYPTO_AES_NIST_GMAC, skip, len: 0, inject: ivAt, flags: CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT, klen: 128 },
  { alg: CRYPTO_AES_128_NIST_GMAC, skip, len, inject, klen: 128 },
];

describe.each(BACKEND_NAMES)('one request reused over one buffer (%s backend)', (backend) => {
  it('GMAC follows crd_skip, crd_len and the buffer from one dispatch to the next', () => {
    const m = machine(backend);
    const sid = session(m, { alg: CRYPTO_AES_NIST_GMAC }, { alg: CRYPTO_AES_128_NIST_GMAC, key: K });
    const r = reusable(m, sid, 2);
    const iv = filler(16, 42);
    r.crp.crp_desc!.crd_iv = iv.slice();
    const buf = filler(256, 43);
    const other = filler(256, 44);
    // A second array over the same memory, shifted: same offsets, other bytes.
    const shifted = buf.subarray(8);
    const cases: [Uint8Array, number, number][] = [
      [buf, 8, 64],
      [buf, 8, 64], // the same region again
      [buf, 24, 64], // moved
      [buf, 24, 40], // shortened
      [other, 24, 40], // another buffer, the same region
      [shifted, 24, 40], // another view of the same memory
      [buf, 8, 0], // nothing to authenticate
    ];
    for (const [b, skip, len] of cases) {
      const expected = ref.aesGmac(K, iv.subarray(0, 12), b.slice(skip, skip + len));
      expect(r.run(b, gmac(skip, len, 200, 232))).toBe(0);
      expect(toHex(b.subarray(200, 216)), `skip ${skip} len ${len}`).toBe(toHex(expected));
      expect(toHex(b.subarray(232, 244))).toBe(toHex(iv.subarray(0, 12)));
    }
  });

  it('uses crd_iv as it is at dispatch: refilled in place, replaced, or exactly 12 bytes long', () => {
    const m = machine(backend);
    const sid = session(m, { alg: CRYPTO_AES_NIST_GMAC }, { alg: CRYPTO_AES_128_NIST_GMAC, key: K });
    const r = reusable(m, sid, 2);
    const buf = filler(256, 45);
    const data = buf.slice(8, 72);
    const d = r.crp.crp_desc!;
    d.crd_iv = filler(16, 46);
    const ivs: (() => Uint8Array)[] = [
      () => d.crd_iv,
      () => (d.crd_iv.set(filler(16, 47)), d.crd_iv), // refilled in place
      () => (d.crd_iv = filler(16, 48)), // a new array
      () => (d.crd_iv = filler(12, 49)), // exactly the GCM IV length
      () => (d.crd_iv.set(filler(12, 50)), d.crd_iv),
    ];
    for (const [i, next] of ivs.entries()) {
      const iv = next().slice(0, 12);
      expect(r.run(buf, gmac(8, 64, 200, 232))).toBe(0);
      expect(toHex(buf.subarray(200, 216)), `IV ${i}`).toBe(toHex(ref.aesGmac(K, iv, data)));
    }
  });

  it('AES-CBC encrypts the region named now, in place, and nothing else', () => {
    const m = machine(backend);
    const sid = session(m, { alg: CRYPTO_AES_CBC, key: K });
    const r = reusable(m, sid, 1);
    const iv = filler(16, 51);
    r.crp.crp_desc!.crd_iv = iv;
    const buf = filler(512, 52);
    for (const [skip, len] of [[16, 64], [16, 64], [32, 64], [32, 128], [0, 16]] as const) {
      const before = buf.slice();
      const expected = before.slice(skip, skip + len);
      ref.cbcKey(CRYPTO_AES_CBC, K).encrypt(iv, expected);
      expect(r.run(buf, [{ alg: CRYPTO_AES_CBC, skip, len, inject: 496, flags: CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT }])).toBe(0);
      const want = before.slice();
      want.set(expected, skip);
      want.set(iv, 496);
      expect(toHex(buf), `skip ${skip} len ${len}`).toBe(toHex(want));
    }
  });
});

describe.each(BACKEND_NAMES)('CPU accesses to a contiguous buffer in machine memory (%s backend)', (backend) => {
  it('reports every read and write at its physical address, and none once the hook is gone', () => {
    const m = machine(backend);
    const sid = session(m, { alg: CRYPTO_SHA1_HMAC, key: filler(20, 53) });
    const block = m.mem.malloc(512, M_WAITOK, 'test')!;
    // The request's buffer starts 32 bytes into the block: addresses are the block's plus that.
    const buf = block.bytes.subarray(32, 32 + 256);
    buf.set(filler(256, 54));
    const seen: string[] = [];
    const stop = m.mem.addCpuAccessHook((kind, paddr, len) => seen.push(`${kind} ${paddr - block.paddr} ${len}`));
    const r = reusable(m, sid, 1);
    const hmac: DescSpec[] = [{ alg: CRYPTO_SHA1_HMAC, skip: 16, len: 100, inject: 200 }];
    expect(r.run(buf, hmac)).toBe(0);
    expect(seen).toEqual(['read 48 100', 'write 232 20']);
    stop();
    seen.length = 0;
    expect(r.run(buf, hmac)).toBe(0);
    expect(seen).toEqual([]);
  });

  it('reports GMAC\'s IV write, AAD read and tag write', () => {
    const m = machine(backend);
    const sid = session(m, { alg: CRYPTO_AES_NIST_GMAC }, { alg: CRYPTO_AES_128_NIST_GMAC, key: K });
    const block = m.mem.malloc(512, M_WAITOK, 'test')!;
    const buf = block.bytes.subarray(64, 64 + 256);
    const seen: string[] = [];
    m.mem.addCpuAccessHook((kind, paddr, len) => seen.push(`${kind} ${paddr - block.paddr} ${len}`));
    const r = reusable(m, sid, 2);
    r.crp.crp_desc!.crd_iv = filler(16, 55);
    expect(r.run(buf, gmac(8, 64, 200, 232))).toBe(0);
    expect(seen).toEqual(['write 296 12', 'read 72 64', 'write 264 16']);
  });
});

describe.each([AMD64_2015_SWCOSTS, PENTIUM4_2003_SWCOSTS])('algCycles on the $name profile', (costs) => {
  it('equals swcrAlgCycles for every algorithm, key size and length, tabulated or not', () => {
    const ctx = new SwcrContext(ref, costs, () => {}, new Prng(1), undefined);
    for (let alg = -1; alg <= 30; alg++) {
      for (let keyBytes = 0; keyBytes <= 80; keyBytes++) {
        for (const len of [0, 1, 17, 1500, 65536]) {
          expect(ctx.algCycles(alg, len, keyBytes), `alg ${alg} key ${keyBytes} len ${len}`).toBe(swcrAlgCycles(costs, alg, len, keyBytes));
        }
      }
    }
  });
});
