/**
 * One CBC interface for every OCF block cipher, selected by `CRYPTO_*` algorithm id, plus ARC4.
 *
 * cryptosoft drives all its block ciphers in CBC mode in place (reference/ocf.md §3, §3.1, §6);
 * this file keys each cipher once per session (like FreeBSD's `sw_kschedule`) and runs CBC over a
 * contiguous buffer. Pure-JS ("noble") keyed ciphers are the repo's own classes (des.ts,
 * blowfish.ts, cast128.ts, skipjack.ts, camellia.ts, arc4.ts) and @noble/ciphers for AES; the
 * OpenSSL path is used for each cipher this process's OpenSSL offers (see openssl.ts).
 *
 * Key sizes (ocf.md §1.4 and the §3 table): DES 8, 3DES 24 (K1 ‖ K2 ‖ K3, EDE), Blowfish 5..56,
 * CAST-128 5..16, Skipjack 10, AES and Camellia 16/24/32 (the sizes cryptosoft's setkey accepts),
 * NULL 0..256. NULL-CBC is cryptosoft's no-op: it neither checks the length nor touches IV or
 * data (ocf.md §3.8).
 *
 * @example
 *   const k = backend.cbcKey(CRYPTO_BLF_CBC, key16); // key schedule built once per session
 *   k.encrypt(iv8, payload);                          // payload.length % 8 === 0, in place
 *   k.decrypt(iv8, payload);
 *   k.wipe();
 */

import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_BLF_CBC,
  CRYPTO_CAMELLIA_CBC,
  CRYPTO_CAST_CBC,
  CRYPTO_DES_CBC,
  CRYPTO_NULL_CBC,
  CRYPTO_SKIPJACK_CBC,
} from '../constants.js';
import { aesCbcImpl, type AesCbcImpl } from './aes.js';
import { Arc4 } from './arc4.js';
import type { BackendName } from './backend.js';
import { cbcDecrypt, cbcEncrypt, type BlockCipher } from './block.js';
import { BlowfishCipher } from './blowfish.js';
import { CamelliaCipher } from './camellia.js';
import { Cast128Cipher } from './cast128.js';
import { DesCipher, TripleDesCipher } from './des.js';
import { opensslHasCipher, opensslHasCiphers, type OpensslCipherName } from './openssl.js';
import { SkipjackCipher } from './skipjack.js';

/** The OCF algorithm ids of the CBC block ciphers. */
export type CbcAlg =
  | typeof CRYPTO_DES_CBC
  | typeof CRYPTO_3DES_CBC
  | typeof CRYPTO_BLF_CBC
  | typeof CRYPTO_CAST_CBC
  | typeof CRYPTO_SKIPJACK_CBC
  | typeof CRYPTO_AES_CBC
  | typeof CRYPTO_NULL_CBC
  | typeof CRYPTO_CAMELLIA_CBC;

/** Static facts about one OCF CBC cipher. */
export interface CbcCipherInfo {
  readonly name: string;
  /** Block size = IV size, in bytes. */
  readonly blockSize: number;
  /** Accepted key lengths in bytes, as text for messages ("16, 24 or 32"). */
  readonly keySizes: string;
  keyOk(len: number): boolean;
  /** A pure-JS keyed block cipher; undefined for AES (served by @noble/ciphers) and NULL. */
  readonly cipher?: new (key: Uint8Array) => BlockCipher;
  /** The OpenSSL cipher name for a key of `len` bytes. */
  readonly openssl?: (len: number) => OpensslCipherName;
  /** Every OpenSSL name needed to serve all key sizes. */
  readonly opensslAll?: readonly OpensslCipherName[];
}

const is16_24_32 = (n: number): boolean => n === 16 || n === 24 || n === 32;

/** ocf.md §1.4 / §3: block size, key sizes and implementations of each CBC cipher. */
export const CBC_CIPHERS: Readonly<Record<CbcAlg, CbcCipherInfo>> = Object.freeze({
  [CRYPTO_DES_CBC]: {
    name: 'CRYPTO_DES_CBC', blockSize: 8, keySizes: '8', keyOk: (n: number) => n === 8,
    cipher: DesCipher, openssl: () => 'des-cbc', opensslAll: ['des-cbc'],
  },
  [CRYPTO_3DES_CBC]: {
    name: 'CRYPTO_3DES_CBC', blockSize: 8, keySizes: '24', keyOk: (n: number) => n === 24,
    cipher: TripleDesCipher, openssl: () => 'des-ede3-cbc', opensslAll: ['des-ede3-cbc'],
  },
  [CRYPTO_BLF_CBC]: {
    name: 'CRYPTO_BLF_CBC', blockSize: 8, keySizes: '5..56', keyOk: (n: number) => n >= 5 && n <= 56,
    cipher: BlowfishCipher, openssl: () => 'bf-cbc', opensslAll: ['bf-cbc'],
  },
  [CRYPTO_CAST_CBC]: {
    name: 'CRYPTO_CAST_CBC', blockSize: 8, keySizes: '5..16', keyOk: (n: number) => n >= 5 && n <= 16,
    cipher: Cast128Cipher, openssl: () => 'cast5-cbc', opensslAll: ['cast5-cbc'],
  },
  [CRYPTO_SKIPJACK_CBC]: {
    name: 'CRYPTO_SKIPJACK_CBC', blockSize: 8, keySizes: '10', keyOk: (n: number) => n === 10,
    cipher: SkipjackCipher,
  },
  [CRYPTO_AES_CBC]: {
    name: 'CRYPTO_AES_CBC', blockSize: 16, keySizes: '16, 24 or 32', keyOk: is16_24_32,
  },
  [CRYPTO_NULL_CBC]: {
    name: 'CRYPTO_NULL_CBC', blockSize: 4, keySizes: '0..256', keyOk: (n: number) => n <= 256,
  },
  [CRYPTO_CAMELLIA_CBC]: {
    name: 'CRYPTO_CAMELLIA_CBC', blockSize: 16, keySizes: '16, 24 or 32', keyOk: is16_24_32,
    cipher: CamelliaCipher,
    openssl: (n: number) => (n === 16 ? 'camellia-128-cbc' : n === 24 ? 'camellia-192-cbc' : 'camellia-256-cbc'),
    opensslAll: ['camellia-128-cbc', 'camellia-192-cbc', 'camellia-256-cbc'],
  },
});

/** Whether `alg` is one of the OCF CBC cipher ids. */
export function isCbcAlg(alg: number): alg is CbcAlg {
  return Object.prototype.hasOwnProperty.call(CBC_CIPHERS, alg);
}

/** One session's keyed CBC cipher. */
export interface CbcKey {
  readonly alg: CbcAlg;
  readonly blockSize: number;
  /** CBC-encrypt `data` in place; `iv` is one block, `data.length` a multiple of the block size. */
  encrypt(iv: Uint8Array, data: Uint8Array): void;
  /** CBC-decrypt `data` in place. */
  decrypt(iv: Uint8Array, data: Uint8Array): void;
  /** Zero the key material; the object must not be used afterwards. */
  wipe(): void;
}

/** The CBC and ARC4 functions of a backend. */
export interface CbcFunctions {
  /**
   * Keys `alg` once (throws a RangeError naming the accepted sizes for a bad key length).
   *
   * @example const k = backend.cbcKey(CRYPTO_3DES_CBC, key24); k.encrypt(iv8, buf); k.wipe();
   */
  cbcKey(alg: CbcAlg, key: Uint8Array): CbcKey;
  /**
   * One-shot CBC encrypt in place (keys, encrypts, wipes).
   *
   * @example backend.cbcEncrypt(CRYPTO_AES_CBC, key16, iv16, payload);
   */
  cbcEncrypt(alg: CbcAlg, key: Uint8Array, iv: Uint8Array, data: Uint8Array): void;
  /** One-shot CBC decrypt in place. */
  cbcDecrypt(alg: CbcAlg, key: Uint8Array, iv: Uint8Array, data: Uint8Array): void;
  /**
   * ARC4 in place with a fresh keystream (no IV; encrypt = decrypt). Keys 1..256 bytes, the
   * cipher's own range; OCF's session limit of 1..32 (ocf.md §1.4) belongs to the session layer.
   *
   * @example backend.arc4(key16, payload);
   */
  arc4(key: Uint8Array, data: Uint8Array): void;
}

function checkCbcArgs(info: CbcCipherInfo, fn: string, iv: Uint8Array, data: Uint8Array): void {
  const bs = info.blockSize;
  if (iv.length !== bs) throw new RangeError(`${info.name} ${fn}: IV must be ${bs} bytes, got ${iv.length}`);
  if (data.length % bs !== 0) {
    throw new RangeError(`${info.name} ${fn}: data length ${data.length} is not a multiple of the block size ${bs}`);
  }
}

type Crypt = (iv: Uint8Array, data: Uint8Array, decrypt: boolean) => void;

function opensslCbc(name: OpensslCipherName, key: Uint8Array): Crypt {
  return (iv, data, decrypt) => {
    if (data.length === 0) return;
    const c = (decrypt ? createDecipheriv(name, key, iv) : createCipheriv(name, key, iv)).setAutoPadding(false);
    data.set(c.update(data));
    c.final();
  };
}

function aesCrypt(impl: AesCbcImpl, key: Uint8Array): Crypt {
  return (iv, data, decrypt) => (decrypt ? impl.decrypt(key, iv, data) : impl.encrypt(key, iv, data));
}

function blockCrypt(cipher: BlockCipher): Crypt {
  return (iv, data, decrypt) => (decrypt ? cbcDecrypt(cipher, iv, data) : cbcEncrypt(cipher, iv, data));
}

/**
 * Builds the CBC/ARC4 functions, using OpenSSL per cipher when `useOpenssl` and OpenSSL has every
 * key size of it; records each choice in `report` under the OCF algorithm name.
 */
export function createCbcFunctions(useOpenssl: boolean, report: Record<string, BackendName>): CbcFunctions {
  const aes = aesCbcImpl(useOpenssl);
  const ssl = new Set<CbcAlg>();
  for (const [id, info] of Object.entries(CBC_CIPHERS) as unknown as [string, CbcCipherInfo][]) {
    const alg = Number(id) as CbcAlg;
    const use = alg === CRYPTO_AES_CBC
      ? aes.name === 'openssl'
      : useOpenssl && info.opensslAll !== undefined && opensslHasCiphers(info.opensslAll);
    if (use) ssl.add(alg);
    report[info.name] = use ? 'openssl' : 'noble';
  }
  const rc4Ssl = useOpenssl && opensslHasCipher('rc4');
  report['CRYPTO_ARC4'] = rc4Ssl ? 'openssl' : 'noble';

  const cbcKey = (alg: CbcAlg, key: Uint8Array): CbcKey => {
    const info = CBC_CIPHERS[alg] as CbcCipherInfo | undefined;
    if (info === undefined) throw new RangeError(`cbcKey: algorithm ${String(alg)} is not an OCF CBC cipher`);
    if (!info.keyOk(key.length)) {
      throw new RangeError(`${info.name}: key must be ${info.keySizes} bytes, got ${key.length}`);
    }
    if (alg === CRYPTO_NULL_CBC) {
      return { alg, blockSize: info.blockSize, encrypt() {}, decrypt() {}, wipe() {} };
    }
    const copy = key.slice();
    let crypt: Crypt;
    let wipe: () => void;
    if (ssl.has(alg) && alg !== CRYPTO_AES_CBC) {
      crypt = opensslCbc(info.openssl!(key.length), copy);
      wipe = () => copy.fill(0);
    } else if (alg === CRYPTO_AES_CBC) {
      crypt = aesCrypt(aes.impl, copy);
      wipe = () => copy.fill(0);
    } else {
      const cipher = new info.cipher!(copy);
      copy.fill(0);
      crypt = blockCrypt(cipher);
      wipe = () => cipher.wipe();
    }
    let live = true;
    return {
      alg,
      blockSize: info.blockSize,
      encrypt(iv, data) {
        if (!live) throw new Error(`${info.name}: key used after wipe()`);
        checkCbcArgs(info, 'encrypt', iv, data);
        crypt(iv, data, false);
      },
      decrypt(iv, data) {
        if (!live) throw new Error(`${info.name}: key used after wipe()`);
        checkCbcArgs(info, 'decrypt', iv, data);
        crypt(iv, data, true);
      },
      wipe() {
        live = false;
        wipe();
      },
    };
  };

  const oneShot = (alg: CbcAlg, key: Uint8Array, iv: Uint8Array, data: Uint8Array, decrypt: boolean): void => {
    const k = cbcKey(alg, key);
    try {
      if (decrypt) k.decrypt(iv, data);
      else k.encrypt(iv, data);
    } finally {
      k.wipe();
    }
  };

  return {
    cbcKey,
    cbcEncrypt: (alg, key, iv, data) => oneShot(alg, key, iv, data, false),
    cbcDecrypt: (alg, key, iv, data) => oneShot(alg, key, iv, data, true),
    arc4(key, data) {
      if (key.length < 1 || key.length > 256) throw new RangeError(`CRYPTO_ARC4: key must be 1..256 bytes, got ${key.length}`);
      if (data.length === 0) return;
      if (rc4Ssl) {
        data.set(createCipheriv('rc4', key, null).update(data));
        return;
      }
      const a = new Arc4(key);
      a.process(data, 0, data, 0, data.length);
      a.wipe();
    },
  };
}
