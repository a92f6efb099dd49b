/**
 * The SID layout macros (framework/drivers.ts). CRYPTO_SESID2HID and CRYPTO_SESID2LID remember
 * their last answer; interleaved SIDs that share one half must still decode to their own values.
 */
import { describe, expect, it } from 'vitest';
import { CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_SOFTWARE, CRYPTOCAP_F_SYNC } from '../../framework/constants.js';
import { CRYPTO_SESID2CAPS, CRYPTO_SESID2HID, CRYPTO_SESID2LID, makeSid } from '../../framework/drivers.js';

describe('SID macros', () => {
  // First in the file, so it is the first decode of this module instance: no SID is mistaken for
  // the memo's initial state.
  it('decode any SID on the first call, -1n and 0n included', () => {
    expect([CRYPTO_SESID2HID(-1n), CRYPTO_SESID2LID(-1n)]).toEqual([0x00ffffff, 0xffffffff]);
    expect([CRYPTO_SESID2HID(0n), CRYPTO_SESID2LID(0n)]).toEqual([0, 0]);
  });

  it('decode interleaved SIDs that share their driver id or their lid', () => {
    const cases: [number, number, number][] = [
      [CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC, 0, 1],
      [CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC, 0, 2],
      [CRYPTOCAP_F_HARDWARE, 3, 1],
      [CRYPTOCAP_F_HARDWARE, 3, 0xffffffff],
      [CRYPTOCAP_F_HARDWARE, 0x00ffffff, 2],
      [0, 0, 0],
    ];
    // Every ordered pair, so each decode follows a different SID.
    for (const [fa, ha, la] of cases) {
      for (const [fb, hb, lb] of cases) {
        for (const [f, h, l] of [[fa, ha, la], [fb, hb, lb], [fa, ha, la]] as const) {
          const sid = makeSid(f, h, l);
          expect([CRYPTO_SESID2HID(sid), CRYPTO_SESID2LID(sid), CRYPTO_SESID2CAPS(sid)]).toEqual([h, l >>> 0, (f & 0xff000000) >>> 0]);
        }
      }
    }
  });

  it('read a negative BigInt (a SID that went through a signed 64-bit field) as its unsigned value', () => {
    const sid = makeSid(CRYPTOCAP_F_HARDWARE, 5, 7);
    const signed = BigInt.asIntN(64, sid);
    expect([CRYPTO_SESID2HID(signed), CRYPTO_SESID2LID(signed)]).toEqual([5, 7]);
    expect([CRYPTO_SESID2HID(-1n), CRYPTO_SESID2LID(-1n)]).toEqual([0x00ffffff, 0xffffffff]);
  });
});
