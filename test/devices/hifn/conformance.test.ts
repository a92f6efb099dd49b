/**
 * Every algorithm each Hifn part registers, through the framework (newsession → dispatch → the
 * card → callback), compared with framework/xform's software result, in all three buffer kinds,
 * with strict bus_dma on and no violation.
 */
import { describe, expect, it } from 'vitest';
import {
  CRYPTOCAP_F_HARDWARE,
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_ARC4,
  CRYPTO_DES_CBC,
  CRYPTO_MD5,
  CRYPTO_MD5_HMAC,
  CRYPTO_SHA1,
  CRYPTO_SHA1_HMAC,
} from '../../../framework/constants.js';
import type { HifnPartName } from '../../../devices/hifn/index.js';
import { CIPHERS, MACS, boot, consumer, dispatchAndWait, expected, fillRequest, makeBuffer, sessionFor, type AlgCase, type BufKind, type Layout } from './harness.js';

const PARTS: HifnPartName[] = ['7751', '7951', '7955', '7956'];
const KINDS: BufKind[] = ['mbuf', 'uio', 'contig'];

function casesFor(part: HifnPartName): AlgCase[] {
  const ciphers = [CRYPTO_DES_CBC, CRYPTO_3DES_CBC, CRYPTO_ARC4, ...(part === '7955' || part === '7956' ? [CRYPTO_AES_CBC] : [])];
  const cases: AlgCase[] = [];
  for (const c of ciphers) cases.push({ name: `cipher ${c}`, cipher: c });
  for (const mac of [CRYPTO_MD5, CRYPTO_SHA1]) cases.push({ name: `hash ${mac}`, mac });
  for (const mac of [CRYPTO_MD5_HMAC, CRYPTO_SHA1_HMAC]) {
    cases.push({ name: `hmac ${mac} -96`, mac, mlen: 12 }, { name: `hmac ${mac} full`, mac });
  }
  for (const c of ciphers) cases.push({ name: `esp ${c}+sha1-96`, cipher: c, mac: CRYPTO_SHA1_HMAC, mlen: 12 });
  cases.push({ name: 'esp 3des+md5-96', cipher: CRYPTO_3DES_CBC, mac: CRYPTO_MD5_HMAC, mlen: 12 });
  return cases;
}

/** Buffer layouts per kind: several segments, all aligned except where the kind allows otherwise. */
function layouts(kind: BufKind, total: number): (number[] | undefined)[] {
  if (kind === 'mbuf') return [undefined, [20, 0, 36], [3, 41]]; // the last one is misaligned: bounce chain
  if (kind === 'uio') return [undefined, [16, 32]];
  return [undefined];
}

describe.each(PARTS)('Hifn %s through crypto(9)', (part) => {
  it('computes every registered algorithm like software, in mbufs, uios and contiguous buffers, with no violation', () => {
    const { m, devs } = boot({ parts: [part] });
    const sc = devs[0]!.softc!;
    let done = 0;
    const failures: string[] = [];
    consumer(m, function* (td) {
      for (const c of casesFor(part)) {
        const ck = c.cipher ? m.prng.stream('keys').bytes(CIPHERS[c.cipher]!.key + (c.cipher === CRYPTO_AES_CBC && done % 2 ? 16 : 0)) : new Uint8Array(0);
        const mk = c.mac ? m.prng.stream('keys').bytes(MACS[c.mac]!.key) : new Uint8Array(0);
        const iv = m.prng.stream('keys').bytes(16).subarray(0, c.cipher ? Math.max(CIPHERS[c.cipher]!.iv, 1) : 1);
        for (const kind of KINDS) {
          for (const encrypt of c.cipher && c.cipher !== CRYPTO_ARC4 ? [true, false] : [true]) {
            // An odd total for stream and MAC-only cases exercises the slop word.
            const block = c.cipher ? CIPHERS[c.cipher]!.block : 1;
            const L: Layout = { hdr: 8, payload: block === 1 ? 61 : 64, tag: c.mac ? c.mlen || MACS[c.mac]!.full : 0 };
            const total = L.hdr + L.payload + L.tag;
            for (const layout of layouts(kind, total)) {
              const input = m.prng.stream('data').bytes(total);
              const b = makeBuffer(m, kind, input, layout);
              const { error, sid } = m.crypto.crypto_newsession(sessionFor(c, ck, mk), CRYPTOCAP_F_HARDWARE);
              if (error) {
                failures.push(`${c.name} ${kind}: newsession ${error}`);
                continue;
              }
              const crp = m.crypto.crypto_getreq((c.cipher ? 1 : 0) + (c.mac ? 1 : 0))!;
              crp.crp_sid = sid;
              crp.crp_flags = b.flags;
              crp.crp_buf = b.buf;
              crp.crp_ilen = total;
              fillRequest(crp, c, L, ck, mk, iv, encrypt);
              const etype = yield* dispatchAndWait(m, td, crp);
              const got = b.read(crp);
              const want = expected(c, L, input, ck, mk, iv, encrypt);
              if (etype !== 0 || !Buffer.from(got).equals(Buffer.from(want))) {
                failures.push(`${c.name} ${kind} ${encrypt ? 'enc' : 'dec'} layout ${JSON.stringify(layout)}: etype ${etype}`);
              }
              m.crypto.crypto_freesession(sid);
              b.free();
              done++;
            }
          }
        }
      }
    });
    m.run();
    expect(failures).toEqual([]);
    expect(m.violationReport()).toBe('');
    expect(done).toBeGreaterThan(40);
    // Every request went through the card, none fell back to software.
    expect(sc.stats.hst_opackets).toBe(done);
    expect(sc.stats.hst_unaligned).toBeGreaterThan(0);
  });
});
