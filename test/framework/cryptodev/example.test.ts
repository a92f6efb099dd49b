/**
 * The example program of docs/cryptodev.md, run as written there (inside a function, with its
 * console output captured): if this test fails, the documentation is wrong.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { Machine } from '../../../lab/machine.js';
import { CRYPTO_AES_CBC, CRYPTO_SHA2_256_HMAC, EINVAL } from '../../../framework/constants.js';
import {
  CIOCCRYPT,
  CIOCFINDDEV,
  CIOCFSESSION,
  CIOCGSESSION2,
  COP_DECRYPT,
  COP_ENCRYPT,
  crypt_find_op,
  crypt_op,
  session2_op,
} from '../../../framework/cryptodev-structs.js';
import { CryptodevError, cryptodev_consistency } from '../../../framework/cryptodev.js';

async function program(console: { log(...a: unknown[]): void }) {
  // ---- from docs/cryptodev.md ----
  const m = new Machine({ seed: 1, sysctl: { 'kern.cryptodevallowsoft': 1 } });
  const fd = m.cryptodev(); // open("/dev/crypto") + CRIOGET

  // Find the driver by name, as cryptotest -d does.
  const find = new crypt_find_op({ crid: -1, name: 'cryptosoft' });
  fd.ioctlSync(CIOCFINDDEV, find);

  // One session: AES-256-CBC and HMAC-SHA2-256 (the MAC key must be exactly 32 bytes).
  const key = new Uint8Array(32).fill(0x11);
  const mackey = new Uint8Array(32).fill(0x22);
  const sop = new session2_op({ cipher: CRYPTO_AES_CBC, keylen: 32, key, mac: CRYPTO_SHA2_256_HMAC, mackeylen: 32, mackey, crid: find.crid });
  fd.ioctlSync(CIOCGSESSION2, sop);
  console.log(`session ${sop.ses} on ${find.name} (crid ${sop.crid})`);

  // Encrypt 64 bytes with an explicit IV; the MAC (computed first, as in 2015) covers the plaintext.
  const iv = new Uint8Array(16).fill(0x33);
  const plaintext = new TextEncoder().encode('sixteen byte blk'.repeat(4));
  const ciphertext = new Uint8Array(64);
  const mac = new Uint8Array(32);
  const t0 = m.now;
  fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 64, src: plaintext, dst: ciphertext, iv, mac }));
  console.log(`encrypted 64 bytes in ${(m.now - t0) / 1e6} µs of simulated time`);

  // The async form: queue the call, run the machine, then await the result.
  const back = new Uint8Array(64);
  const pending = fd.ioctl(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_DECRYPT, len: 64, src: ciphertext, dst: back, iv }));
  m.run();
  await pending;
  console.log(new TextDecoder().decode(back));

  // Errors carry FreeBSD's errno and its name.
  try {
    fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 15, src: plaintext, iv }));
  } catch (e) {
    if (!(e instanceof CryptodevError)) throw e;
    console.log(e.code, e.errno, e.message);
  }

  fd.ioctlSync(CIOCFSESSION, sop.ses);
  fd.close();
  m.run();
  // ---- end of the example ----
  return { m, ciphertext, mac, plaintext, key, mackey, iv, back };
}

it('the example program of docs/cryptodev.md runs and says what the page says it does', async () => {
  const lines: string[] = [];
  const r = await program({ log: (...a) => lines.push(a.join(' ')) });
  const c = createCipheriv('aes-256-cbc', r.key, r.iv).setAutoPadding(false);
  expect(Buffer.from(r.ciphertext).toString('hex')).toBe(Buffer.concat([c.update(r.plaintext), c.final()]).toString('hex'));
  expect(Buffer.from(r.mac).toString('hex')).toBe(createHmac('sha256', r.mackey).update(r.plaintext).digest('hex'));
  expect(lines[0]).toBe('session 0 on cryptosoft (crid 0)');
  expect(lines[1]).toMatch(/^encrypted 64 bytes in [0-9.]+ µs of simulated time$/);
  expect(lines[2]).toBe('sixteen byte blk'.repeat(4));
  expect(lines[3]).toBe(`EINVAL ${EINVAL} EINVAL: CIOCCRYPT: len 15 must be a non-zero multiple of CRYPTO_AES_CBC's block size 16`);
  expect(cryptodev_consistency(r.m, { exclusive: true })).toEqual([]);
});
