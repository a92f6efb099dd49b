/**
 * ESP packets (RFC 4303) as the IPsec workload builds them, and the reference that checks what a
 * driver made of them.
 *
 *   | SPI (4) | sequence (4) | IV (ivlen) | payload | padding | pad length | next header | ICV (12) |
 *                                         \______________ cipher region ______________/
 *   \____________________________ authenticated region ________________________________/
 *
 * The cipher region is the payload plus the two trailer bytes, padded to the cipher's block size
 * with the bytes 1, 2, 3, ... (RFC 4303 §2.4). The ICV is HMAC-SHA1-96 or HMAC-MD5-96 (RFC 2404,
 * RFC 2403). Tunnel mode: the payload is a whole IP packet, so its size comes from the packet mix.
 *
 * The mbuf layout follows esp_output: the ESP header and IV sit in an mbuf of their own
 * (m_makespace inserts it), the payload and trailer in clusters after it.
 */
import { CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_MD5_HMAC, CRYPTO_SHA1_HMAC } from '../../framework/constants.js';
import type { CryptoBackend } from '../../framework/xform/backend.js';
import type { Prng } from '../../sim/prng.js';

export type EspCipher = 'aes-cbc' | '3des-cbc';
export type EspAuth = 'hmac-sha1' | 'hmac-md5';

export const ESP_HDR = 8;
export const ESP_ICV = 12;

export const CIPHERS: Readonly<Record<EspCipher, { alg: typeof CRYPTO_AES_CBC | typeof CRYPTO_3DES_CBC; key: number; block: number }>> = {
  'aes-cbc': { alg: CRYPTO_AES_CBC, key: 16, block: 16 },
  '3des-cbc': { alg: CRYPTO_3DES_CBC, key: 24, block: 8 },
};
export const AUTHS: Readonly<Record<EspAuth, { alg: typeof CRYPTO_SHA1_HMAC | typeof CRYPTO_MD5_HMAC; key: number }>> = {
  'hmac-sha1': { alg: CRYPTO_SHA1_HMAC, key: 20 },
  'hmac-md5': { alg: CRYPTO_MD5_HMAC, key: 16 },
};

/** A packet size mix: IP packet sizes and their weights. */
export type PacketMix = 'imix' | readonly number[] | readonly { size: number; weight: number }[];

/** "Simple IMIX": 7 x 40, 4 x 576, 1 x 1500 bytes (by packet count; Agilent/Spirent convention). */
export const IMIX: readonly { size: number; weight: number }[] = [
  { size: 40, weight: 7 },
  { size: 576, weight: 4 },
  { size: 1500, weight: 1 },
];

/** A function drawing IP packet sizes from `mix` with `prng`. */
export function sizeSampler(mix: PacketMix, prng: Prng): () => number {
  const table = mix === 'imix' ? IMIX : mix.map((m) => (typeof m === 'number' ? { size: m, weight: 1 } : m));
  if (table.length === 0) throw new RangeError('packet mix: empty');
  for (const e of table) {
    if (!(Number.isInteger(e.size) && e.size >= 1 && e.size <= 65_000)) throw new RangeError(`packet mix: size ${e.size} is not 1..65000`);
    if (!(e.weight > 0)) throw new RangeError(`packet mix: weight of ${e.size} must be > 0`);
  }
  const total = table.reduce((a, e) => a + e.weight, 0);
  return () => {
    let x = prng.nextFloat() * total;
    for (const e of table) if ((x -= e.weight) < 0) return e.size;
    return table[table.length - 1]!.size;
  };
}

/** Offsets of one packet. */
export interface EspLayout {
  ivlen: number;
  /** Start of the cipher region (= ESP_HDR + ivlen). */
  cipherAt: number;
  cipherLen: number;
  /** Where the ICV goes (= end of the authenticated region). */
  icvAt: number;
  total: number;
}

export function espLayout(payload: number, cipher: EspCipher): EspLayout {
  const block = CIPHERS[cipher].block;
  const cipherLen = Math.ceil((payload + 2) / block) * block;
  const cipherAt = ESP_HDR + block;
  return { ivlen: block, cipherAt, cipherLen, icvAt: cipherAt + cipherLen, total: cipherAt + cipherLen + ESP_ICV };
}

/** The plaintext packet: header, a zero IV (the driver writes one), payload, trailer, zero ICV. */
export function espPlaintext(L: EspLayout, spi: number, seq: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(L.total);
  const dv = new DataView(p.buffer);
  dv.setUint32(0, spi >>> 0);
  dv.setUint32(4, seq >>> 0);
  p.set(payload, L.cipherAt);
  const padLen = L.cipherLen - payload.length - 2;
  for (let i = 0; i < padLen; i++) p[L.cipherAt + payload.length + i] = i + 1;
  p[L.cipherAt + L.cipherLen - 2] = padLen;
  p[L.cipherAt + L.cipherLen - 1] = 4; // next header: IPv4 (tunnel mode)
  return p;
}

export interface EspKeys {
  cipher: EspCipher;
  auth: EspAuth;
  ckey: Uint8Array;
  mkey: Uint8Array;
}

/** What the packet must be after outbound processing with the IV the driver chose (read from `out`). */
export function espExpectedOutbound(backend: CryptoBackend, k: EspKeys, L: EspLayout, plain: Uint8Array, out: Uint8Array): Uint8Array {
  const e = plain.slice();
  e.set(out.subarray(ESP_HDR, L.cipherAt), ESP_HDR);
  backend.cbcEncrypt(CIPHERS[k.cipher].alg, k.ckey, e.slice(ESP_HDR, L.cipherAt), e.subarray(L.cipherAt, L.icvAt));
  e.set(backend.hmac(AUTHS[k.auth].alg, k.mkey, e.subarray(0, L.icvAt)).subarray(0, ESP_ICV), L.icvAt);
  return e;
}

/**
 * An inbound packet as a peer would send it (IV from `prng`), and what it must be after inbound
 * processing: cipher region decrypted, the ICV slot holding the ICV the driver computed (which
 * equals the one received when all is well).
 */
export function espInbound(backend: CryptoBackend, k: EspKeys, L: EspLayout, plain: Uint8Array, prng: Prng): { wire: Uint8Array; expected: Uint8Array } {
  const wire = plain.slice();
  prng.fill(wire.subarray(ESP_HDR, L.cipherAt));
  const expected = wire.slice();
  backend.cbcEncrypt(CIPHERS[k.cipher].alg, k.ckey, wire.slice(ESP_HDR, L.cipherAt), wire.subarray(L.cipherAt, L.icvAt));
  const icv = backend.hmac(AUTHS[k.auth].alg, k.mkey, wire.subarray(0, L.icvAt)).subarray(0, ESP_ICV);
  wire.set(icv, L.icvAt);
  expected.set(icv, L.icvAt);
  return { wire, expected };
}
