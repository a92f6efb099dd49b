/**
 * The shape every OCF block cipher transform shares, and CBC over it.
 *
 * cryptosoft only ever drives its block ciphers in CBC mode (ocf.md §3.1): the payload is processed
 * in place, its length must be a multiple of the block size, and the IV is one block. CBC itself
 * is NIST SP 800-38A §6.2.
 *
 * @example
 *   const c = new Cast128Cipher(key);
 *   cbcEncrypt(c, iv, buf); // buf now holds the ciphertext
 *   cbcDecrypt(c, iv, buf); // and the plaintext again
 *   c.wipe();
 */

/** One keyed block cipher: single-block transforms between caller-supplied buffers. */
export interface BlockCipher {
  readonly blockSize: number;
  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void;
  decryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void;
  /** Zero the key schedule; the cipher must not be used afterwards. */
  wipe(): void;
}

/** A block cipher class: `new Cipher(key)`, with the block size also readable before keying. */
export interface BlockCipherClass {
  new (key: Uint8Array): BlockCipher;
  readonly blockSize: number;
}

function checkCbcArgs(fn: string, cipher: BlockCipher, iv: Uint8Array, data: Uint8Array): number {
  const bs = cipher.blockSize;
  if (data.length % bs !== 0) {
    throw new RangeError(`${fn}: data length ${data.length} is not a multiple of the block size ${bs}`);
  }
  if (iv.length !== bs) throw new RangeError(`${fn}: IV must be ${bs} bytes, got ${iv.length}`);
  return bs;
}

/**
 * CBC-encrypt `data` in place (SP 800-38A §6.2). `iv` is read, not modified.
 *
 * @example
 *   cbcEncrypt(new CamelliaCipher(key16), iv16, payload); // payload.length % 16 === 0
 */
export function cbcEncrypt(cipher: BlockCipher, iv: Uint8Array, data: Uint8Array): void {
  const bs = checkCbcArgs('cbcEncrypt', cipher, iv, data);
  for (let off = 0; off < data.length; off += bs) {
    if (off === 0) for (let i = 0; i < bs; i++) data[i] = data[i]! ^ iv[i]!;
    else for (let i = 0; i < bs; i++) data[off + i] = data[off + i]! ^ data[off - bs + i]!;
    cipher.encryptBlock(data, off, data, off);
  }
}

/**
 * CBC-decrypt `data` in place. Works from the last block backwards so that the previous
 * ciphertext block is still intact when it is needed, which avoids any scratch buffer.
 *
 * @example
 *   cbcDecrypt(new SkipjackCipher(key10), iv8, payload); // payload.length % 8 === 0
 */
export function cbcDecrypt(cipher: BlockCipher, iv: Uint8Array, data: Uint8Array): void {
  const bs = checkCbcArgs('cbcDecrypt', cipher, iv, data);
  for (let off = data.length - bs; off >= 0; off -= bs) {
    cipher.decryptBlock(data, off, data, off);
    if (off === 0) for (let i = 0; i < bs; i++) data[i] = data[i]! ^ iv[i]!;
    else for (let i = 0; i < bs; i++) data[off + i] = data[off + i]! ^ data[off - bs + i]!;
  }
}
