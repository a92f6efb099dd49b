/**
 * cryptosoft through the framework (newsession once, then dispatch → swcr_process → CBIMM
 * callback) next to the raw backend call on the same bytes, for both backends; and CRK_MOD_EXP /
 * CRK_MOD_EXP_CRT ops/s next to OpenSSL's raw RSA. Host speed only: simulated time never depends
 * on it.
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { Machine } from '../lab/machine.js';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRYPTOCAP_F_SOFTWARE,
  CRYPTO_AES_CBC,
  CRYPTO_F_CBIMM,
  CRYPTO_SHA1_HMAC,
} from '../framework/constants.js';
import { cryptoini } from '../framework/structs.js';
import { createBackend, type BackendName } from '../framework/xform/backend.js';
import { modExp, modExpCrt } from '../framework/cryptosoft-keying.js';
import { rate, type BenchResult } from './harness.js';

function bytesToBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function b64uToBig(s: string): bigint {
  return bytesToBig(Uint8Array.from(Buffer.from(s, 'base64url')));
}

export function cryptosoftBench(): BenchResult[] {
  const out: BenchResult[] = [];
  const key = new Uint8Array(16).fill(7);
  const hkey = new Uint8Array(20).fill(9);
  const iv = new Uint8Array(16).fill(1);
  for (const backendName of ['openssl', 'noble'] as BackendName[]) {
    const m = new Machine({ seed: 1, cryptoBackend: backendName });
    const backend = createBackend({ prefer: backendName });
    for (const [label, alg, klen, k] of [
      ['AES-128-CBC', CRYPTO_AES_CBC, 128, key],
      ['HMAC-SHA1', CRYPTO_SHA1_HMAC, 160, hkey],
    ] as const) {
      const { error, sid } = m.crypto.crypto_newsession(new cryptoini({ cri_alg: alg, cri_klen: klen, cri_key: k }), CRYPTOCAP_F_SOFTWARE);
      if (error) throw new Error(`cryptosoft bench: newsession ${label} failed: ${error}`);
      for (const size of [64, 1024, 16384]) {
        const buf = new Uint8Array(size + 20);
        const crp = m.crypto.crypto_getreq(1)!;
        crp.crp_sid = sid;
        crp.crp_flags = CRYPTO_F_CBIMM;
        crp.crp_buf = buf;
        crp.crp_ilen = buf.length;
        const crd = crp.crp_desc!;
        crd.crd_alg = alg;
        crd.crd_len = size;
        crd.crd_inject = size;
        if (alg === CRYPTO_AES_CBC) {
          crd.crd_flags = CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT;
          crd.crd_iv = iv;
        }
        let failed = 0;
        crp.crp_callback = (c) => {
          if (c.crp_etype) failed++;
        };
        const n = Math.max(8, Math.floor(262144 / size));
        const fw = rate(() => {
          for (let i = 0; i < n; i++) m.crypto.crypto_dispatch(crp);
          return n * size;
        }, { rounds: 3, minMs: 150 });
        if (failed) throw new Error(`cryptosoft bench: ${label} requests failed`);
        const data = buf.subarray(0, size);
        const raw = rate(() => {
          for (let i = 0; i < n; i++) {
            if (alg === CRYPTO_AES_CBC) backend.cbcEncrypt(alg, key, iv, data);
            else backend.hmac(alg, hkey, data);
          }
          return n * size;
        }, { rounds: 3, minMs: 150 });
        out.push({ name: `cryptosoft ${label} ${size} B (${backendName}), ${((fw / raw) * 100).toFixed(0)}% of raw`, value: fw / 1e6, unit: 'MB/s' });
        out.push({ name: `  raw backend ${label} ${size} B (${backendName})`, value: raw / 1e6, unit: 'MB/s' });
      }
    }
  }
  for (const bits of [1024, 2048, 4096]) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    const jwk = privateKey.export({ format: 'jwk' });
    const [n, d, p, q, dp, dq, qi] = [jwk.n, jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map((x) => b64uToBig(x!)) as bigint[];
    const msg = 0x1234567890abcdefn % n!;
    const exp = rate(() => {
      modExp(msg, d!, n!);
      return 1;
    }, { rounds: 3, minMs: 200 });
    const crt = rate(() => {
      modExpCrt(p!, q!, msg, dp!, dq!, qi!);
      return 1;
    }, { rounds: 3, minMs: 200 });
    const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, Buffer.alloc(bits / 8, 1));
    const ossl = rate(() => {
      privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ct);
      return 1;
    }, { rounds: 3, minMs: 200 });
    out.push({ name: `CRK_MOD_EXP ${bits}-bit (BigInt)`, value: exp, unit: 'ops/s' });
    out.push({ name: `CRK_MOD_EXP_CRT ${bits}-bit (BigInt), ${(ossl / crt).toFixed(1)}x slower than OpenSSL`, value: crt, unit: 'ops/s' });
    out.push({ name: `  OpenSSL raw RSA private ${bits}-bit`, value: ossl, unit: 'ops/s' });
  }
  return out;
}
