/**
 * Backend selection (framework/xform/backend.ts) and the cross-backend differential test: every
 * algorithm through the noble and the OpenSSL (node:crypto) backend on 200 seeded random cases —
 * every legal key size, lengths 0 (where legal), 1-4 blocks, odd multiples and up to 64 KiB,
 * random AAD for GCM, HMAC keys shorter than, equal to and longer than the hash block — which
 * must give identical bytes. DEFLATE is the documented exception: compressed bytes may differ, so
 * only decompression is compared byte for byte here (deflate.test.ts checks that each side's
 * streams inflate under both). The legacy-provider ciphers (DES, Blowfish, CAST, RC4) are
 * compared with OpenSSL in a child process in their own suites.
 */
import { createCipheriv } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRYPTO_ALG_NAMES } from '../../../framework/constants.js';
import { BACKEND_ENV_VAR, createBackend, type BackendPreference, type CryptoBackend } from '../../../framework/xform/backend.js';
import { CBC_CIPHERS, type CbcAlg } from '../../../framework/xform/cbc-ciphers.js';
import { DEFLATE_IMPLEMENTATIONS } from '../../../framework/xform/deflate.js';
import { HASH_INFO, type HashName } from '../../../framework/xform/hash.js';
import { HMAC_ALGS, type HmacAlg } from '../../../framework/xform/hmac.js';
import { KPDK_ALGS, type KpdkAlg } from '../../../framework/xform/kpdk.js';
import { Prng } from '../../../sim/prng.js';
import { BACKENDS, randomBits, toHex } from './backends.js';
import { differentialLength } from './lengths.js';

describe('backend selection', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env[BACKEND_ENV_VAR];
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[BACKEND_ENV_VAR];
    else process.env[BACKEND_ENV_VAR] = saved;
  });

  it('defaults to auto when the variable is unset or empty', () => {
    delete process.env[BACKEND_ENV_VAR];
    expect(createBackend().preference).toBe('auto');
    process.env[BACKEND_ENV_VAR] = '';
    expect(createBackend().preference).toBe('auto');
  });

  it.each(['openssl', 'noble', 'auto', ' Noble '])('%j in OCFSIM_CRYPTO_BACKEND selects that preference', (v) => {
    process.env[BACKEND_ENV_VAR] = v;
    expect(createBackend().preference).toBe(v.trim().toLowerCase());
  });

  it('an invalid value is an error naming the variable and the allowed values', () => {
    process.env[BACKEND_ENV_VAR] = 'fast';
    expect(() => createBackend()).toThrow(/OCFSIM_CRYPTO_BACKEND="fast" is invalid: allowed values are openssl, noble, auto/);
  });

  it('the prefer option overrides the variable, even an invalid one', () => {
    process.env[BACKEND_ENV_VAR] = 'noble';
    expect(createBackend({ prefer: 'openssl' }).describe()['CRYPTO_AES_CBC']).toBe('openssl');
    process.env[BACKEND_ENV_VAR] = 'fast';
    expect(createBackend({ prefer: 'noble' }).preference).toBe('noble');
    expect(() => createBackend({ prefer: 'fast' as BackendPreference })).toThrow(/prefer must be one of openssl, noble, auto/);
  });

  it('forcing noble by variable serves every algorithm in pure JS', () => {
    process.env[BACKEND_ENV_VAR] = 'noble';
    expect(new Set(Object.values(createBackend().describe()))).toEqual(new Set(['noble']));
  });

  it('describe() names every OCF algorithm id 1..28, the plain SHA-2/RIPEMD-160/NULL hashes and MOD_EXP', () => {
    const d = createBackend({ prefer: 'auto' }).describe();
    const want = [...new Set(Object.values(CRYPTO_ALG_NAMES)), 'SHA2_256', 'SHA2_384', 'SHA2_512', 'RIPEMD160', 'NULL_HASH', 'MOD_EXP'];
    expect(Object.keys(d).sort()).toEqual(want.sort());
  });

  it('auto uses OpenSSL for everything this process offers and noble for the rest', () => {
    const d = createBackend({ prefer: 'auto' }).describe();
    expect(createBackend({ prefer: 'openssl' }).describe()).toEqual(d);
    // Always in OpenSSL 3's default provider.
    for (const n of ['CRYPTO_AES_CBC', 'CRYPTO_AES_XTS', 'CRYPTO_AES_ICM', 'CRYPTO_AES_NIST_GCM_16', 'CRYPTO_AES_128_NIST_GMAC',
      'CRYPTO_3DES_CBC', 'CRYPTO_CAMELLIA_CBC', 'CRYPTO_MD5', 'CRYPTO_SHA1', 'SHA2_256', 'SHA2_512', 'CRYPTO_SHA1_HMAC',
      'CRYPTO_SHA2_384_HMAC', 'CRYPTO_MD5_KPDK', 'CRYPTO_DEFLATE_COMP', 'MOD_EXP']) {
      expect(d[n], n).toBe('openssl');
    }
    // Never in OpenSSL, or trivial.
    for (const n of ['CRYPTO_SKIPJACK_CBC', 'CRYPTO_NULL_CBC', 'CRYPTO_NULL_HMAC', 'NULL_HASH']) expect(d[n], n).toBe('noble');
    // Legacy provider: present only under --openssl-legacy-provider.
    const legacy = (name: string, keyLen: number, ivLen: number): 'openssl' | 'noble' => {
      try {
        createCipheriv(name, new Uint8Array(keyLen), ivLen ? new Uint8Array(ivLen) : null);
        return 'openssl';
      } catch {
        return 'noble';
      }
    };
    expect(d['CRYPTO_DES_CBC']).toBe(legacy('des-cbc', 8, 8));
    expect(d['CRYPTO_BLF_CBC']).toBe(legacy('bf-cbc', 16, 8));
    expect(d['CRYPTO_CAST_CBC']).toBe(legacy('cast5-cbc', 16, 8));
    expect(d['CRYPTO_ARC4']).toBe(legacy('rc4', 16, 0));
  });

  it('describe() returns a copy', () => {
    const b = createBackend({ prefer: 'auto' });
    b.describe()['CRYPTO_AES_CBC'] = 'noble';
    expect(b.describe()['CRYPTO_AES_CBC']).toBe('openssl');
  });
});

// --- differential test --------------------------------------------------------------------------

/** One random case: inputs drawn from `rng`, then the same closure run on each backend. */
type Case = (rng: Prng, round: number) => (b: CryptoBackend) => unknown;

/** Every legal key length in the first rounds, then random ones. */
const keyLenFor = (alg: CbcAlg, rng: Prng, round: number): number => {
  const ok = Array.from({ length: 57 }, (_, n) => n).filter((n) => CBC_CIPHERS[alg].keyOk(n));
  return round < ok.length ? ok[round]! : rng.pick(ok);
};

function cbcCase(alg: CbcAlg): Case {
  return (rng, round) => {
    const bs = CBC_CIPHERS[alg].blockSize;
    const key = rng.bytes(keyLenFor(alg, rng, round)), iv = rng.bytes(bs), pt = rng.bytes(differentialLength(rng, bs));
    return (b) => {
      const buf = pt.slice();
      const k = b.cbcKey(alg, key);
      k.encrypt(iv, buf);
      const ct = toHex(buf);
      k.decrypt(iv, buf);
      return [ct, toHex(buf) === toHex(pt)];
    };
  };
}

/** The three AES key sizes in turn. */
const aesKey = (rng: Prng, round: number): Uint8Array => rng.bytes([16, 24, 32][round % 3]!);

const CASES: Record<string, Case> = {
  ...Object.fromEntries(Object.entries(CBC_CIPHERS).map(([id, info]) => [info.name, cbcCase(Number(id) as CbcAlg)])),
  CRYPTO_ARC4: (rng, round) => {
    const key = rng.bytes(round < 8 ? [1, 2, 5, 16, 32, 128, 255, 256][round]! : rng.int(1, 256)), pt = rng.bytes(differentialLength(rng));
    return (b) => {
      const buf = pt.slice();
      b.arc4(key, buf);
      return toHex(buf);
    };
  },
  CRYPTO_AES_ICM: (rng, round) => {
    const key = aesKey(rng, round), iv = rng.bytes(16), pt = rng.bytes(differentialLength(rng));
    if (rng.chance(0.3)) iv.fill(0xff, rng.int(4, 15)); // a carry through the low counter bytes
    return (b) => {
      const buf = pt.slice();
      b.aesIcm(key, iv, buf);
      return toHex(buf);
    };
  },
  CRYPTO_AES_XTS: (rng, round) => {
    const key = rng.bytes([32, 64][round % 2]!);
    if (rng.chance(0.1)) key.copyWithin(key.length / 2, 0, key.length / 2); // K1 == K2
    const iv = rng.bytes(8), pt = rng.bytes(differentialLength(rng, 16));
    return (b) => {
      const buf = pt.slice();
      b.aesXtsEncrypt(key, iv, buf);
      const ct = toHex(buf);
      b.aesXtsDecrypt(key, iv, buf);
      return [ct, toHex(buf) === toHex(pt)];
    };
  },
  CRYPTO_AES_NIST_GCM_16: (rng, round) => {
    const key = aesKey(rng, round), key2 = rng.bytes(key.length), iv = rng.bytes(12);
    const aad = rng.bytes(rng.chance(0.5) ? rng.int(0, 64) : differentialLength(rng)), pt = rng.bytes(differentialLength(rng));
    const flip = rng.int(0, 15);
    return (b) => {
      const buf = pt.slice();
      const tag = b.aesGcmEncrypt(key, iv, aad, buf);
      const ct = toHex(buf);
      const otherKeyTag = toHex(b.aesGcmTag(key2, iv, aad, buf));
      const bad = tag.slice();
      bad[flip] = bad[flip]! ^ 0x10;
      const rejected = b.aesGcmDecrypt(key, iv, aad, buf, bad);
      const untouched = toHex(buf) === ct;
      const accepted = b.aesGcmDecrypt(key, iv, aad, buf, tag);
      return [ct, toHex(tag), otherKeyTag, rejected, untouched, accepted, toHex(buf) === toHex(pt)];
    };
  },
  CRYPTO_AES_NIST_GMAC: (rng, round) => {
    const key = aesKey(rng, round), iv = rng.bytes(12), aad = rng.bytes(differentialLength(rng));
    return (b) => toHex(b.aesGmac(key, iv, aad));
  },
  ...Object.fromEntries((Object.keys(HASH_INFO) as HashName[]).map((name): [string, Case] => [`hash ${name}`, (rng) => {
    const data = rng.bytes(differentialLength(rng)), cut = rng.int(0, data.length);
    return (b) => [toHex(b.hash(name, data)), toHex(b.createHash(name).update(data.subarray(0, cut)).update(data.subarray(cut)).digest())];
  }])),
  ...Object.fromEntries(Object.entries(HMAC_ALGS).map(([id, info]): [string, Case] => [info.name, (rng, round) => {
    // Keys shorter than, equal to and longer than the hash block, in turn.
    const block = HASH_INFO[info.hash].blockLen;
    const keyLen = [rng.int(0, block - 1), block, rng.int(block + 1, 3 * block)][round % 3]!;
    const key = rng.bytes(keyLen), data = rng.bytes(differentialLength(rng));
    return (b) => {
      const k = b.hmacKey(Number(id) as HmacAlg, key);
      return [toHex(b.hmac(Number(id) as HmacAlg, key, data)), toHex(k.mac(data)), toHex(k.create().update(data).digest())];
    };
  }])),
  ...Object.fromEntries(Object.entries(KPDK_ALGS).map(([id, info]): [string, Case] => [info.name, (rng) => {
    const key = rng.bytes(rng.int(0, 150)), data = rng.bytes(differentialLength(rng));
    return (b) => toHex(b.kpdk(Number(id) as KpdkAlg, key, data));
  }])),
  // Inside and outside OpenSSL's raw-RSA domain (modexp.ts): even moduli, exponents >= m, long
  // exponents over 3072-bit moduli, and the edge bases 0, 1, m - 1.
  MOD_EXP: (rng) => {
        const mBits = rng.chance(0.1) ? rng.int(2, 64) : rng.pick([512, 1024, 1536, 2048, 3072, 4096]) - rng.int(0, 1);
    let m = randomBits(rng, mBits);
    if (rng.chance(0.8)) m |= 1n;
    const eBits = mBits > 3072 ? rng.int(1, 200) : rng.chance(0.1) ? mBits + rng.int(0, 40) : rng.int(1, mBits);
    const exp = randomBits(rng, eBits) | 1n;
    const base = rng.pick([0n, 1n, m - 1n, randomBits(rng, mBits + 8) % m]);
    return (b) => b.modPow(base, exp, m);
  },
  'CRYPTO_DEFLATE_COMP (decompress)': (rng) => {
    const input = rng.chance(0.5) ? rng.bytes(differentialLength(rng) || 1) : new Uint8Array(rng.int(1, 5000)).fill(rng.int(0, 3));
    const stream = rng.pick(Object.values(DEFLATE_IMPLEMENTATIONS)).deflateCompress(input);
    return (b) => toHex(b.deflateDecompress(stream));
  },
};

describe('noble and OpenSSL backends give identical bytes (seeded random inputs)', () => {
  const [[, noble], [, ssl]] = BACKENDS as [[string, CryptoBackend], [string, CryptoBackend]];
  const SEED = 0x0cf5;
  const ROUNDS = 200;

  it.each(Object.keys(CASES))('%s', (name) => {
    const rng = new Prng(SEED).stream(name);
    for (let round = 0; round < ROUNDS; round++) {
      const run = CASES[name]!(rng, round);
      expect(run(ssl), `${name}: seed ${SEED}, stream '${name}', round ${round}`).toEqual(run(noble));
    }
  });

  it('covers every algorithm the backends describe', () => {
    const covered = new Set(Object.keys(CASES).map((n) => n.replace(/ \(.*\)$/, '')));
    const hashNames: Record<string, string> = Object.fromEntries(
      (Object.keys(HASH_INFO) as HashName[]).map((h) => [HASH_INFO[h].reportName, `hash ${h}`]),
    );
    const gmacAuth = ['CRYPTO_AES_128_NIST_GMAC', 'CRYPTO_AES_192_NIST_GMAC', 'CRYPTO_AES_256_NIST_GMAC']; // = GCM/GMAC tags
    for (const alg of Object.keys(noble.describe())) {
      if (gmacAuth.includes(alg)) continue;
      expect(covered.has(alg) || covered.has(hashNames[alg] ?? ''), alg).toBe(true);
    }
  });
});
