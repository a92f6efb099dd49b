/**
 * The reference side of `ocfsim cryptocheck`: what OpenSSL computes for each case. Algorithms the
 * default provider has (AES in every mode, 3DES, Camellia, the MD5/SHA/RIPEMD-160 HMACs) run
 * in-process through node:crypto; those of the legacy provider (des-cbc, bf-cbc, cast5-cbc, rc4)
 * run in one child `node --openssl-legacy-provider` that gets the whole batch on stdin
 * (reference/libraries.md: the provider cannot be loaded into a running process). Skipjack has no
 * OpenSSL implementation; its reference is ocfsim's own transform (framework/xform/skipjack.ts),
 * checked against the published vectors.
 *
 * @example
 *   const out = computeReferences([{ kind: 'cipher', name: 'bf-cbc', key, iv, data }]);
 *   if ('out' in out[0]) use(out[0].out);
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHmac } from 'node:crypto';
import { opensslHasCipher, opensslHasHash, type OpensslCipherName, type OpensslHashName } from '../framework/xform/openssl.js';
import { SkipjackCipher } from '../framework/xform/skipjack.js';
import { cbcEncrypt } from '../framework/xform/block.js';

/**
 * One computation: a cipher's encryption (no padding); an HMAC; GCM (ciphertext ‖ 16-byte tag);
 * or a cipher with an HMAC as /dev/crypto ran them in 2015, MAC first: ciphertext ‖ HMAC of the
 * plaintext (what an encrypt returns) ‖ HMAC of the ciphertext (what a decrypt returns).
 */
export type RefRequest =
  | { kind: 'cipher'; name: string; key: Uint8Array; iv: Uint8Array; data: Uint8Array }
  | { kind: 'hmac'; name: string; key: Uint8Array; data: Uint8Array }
  | { kind: 'gcm'; name: string; key: Uint8Array; iv: Uint8Array; aad: Uint8Array; data: Uint8Array }
  | { kind: 'authenc'; name: string; key: Uint8Array; iv: Uint8Array; data: Uint8Array; md: string; mackey: Uint8Array };

export type RefResult = { out: Uint8Array } | { unavailable: string };

/** Run in the child: reads the batch (hex fields) on stdin, writes [{out}|{error}] as JSON. */
const CHILD_SCRIPT = `
const crypto = require('node:crypto');
const h = (s) => Buffer.from(s, 'hex');
const reqs = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(reqs.map((r) => {
  try {
    const mac = (md, key, data) => crypto.createHmac(md, key).update(data).digest();
    if (r.kind === 'hmac') return { out: mac(r.name, h(r.key), h(r.data)).toString('hex') };
    const c = crypto.createCipheriv(r.name, h(r.key), r.iv.length ? h(r.iv) : null);
    if (r.kind === 'gcm') c.setAAD(h(r.aad));
    else c.setAutoPadding(false);
    const out = Buffer.concat([c.update(h(r.data)), c.final()]);
    if (r.kind === 'gcm') return { out: Buffer.concat([out, c.getAuthTag()]).toString('hex') };
    if (r.kind === 'authenc') return { out: Buffer.concat([out, mac(r.md, h(r.mackey), h(r.data)), mac(r.md, h(r.mackey), out)]).toString('hex') };
    return { out: out.toString('hex') };
  } catch (e) {
    return { error: String(e && e.message || e).split('\\n')[0] };
  }
})));`;

function hasCipher(name: string): boolean {
  return name === 'skipjack-cbc' || opensslHasCipher(name as OpensslCipherName);
}

function inProcess(r: RefRequest): boolean {
  if (r.kind === 'hmac') return opensslHasHash(r.name as OpensslHashName);
  if (r.kind === 'authenc') return hasCipher(r.name) && opensslHasHash(r.md as OpensslHashName);
  return hasCipher(r.name);
}

function hmac(md: string, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(md, key).update(data).digest());
}

function compute(r: RefRequest): Uint8Array {
  if (r.kind === 'hmac') return hmac(r.name, r.key, r.data);
  if (r.kind === 'authenc') {
    const ct = compute({ kind: 'cipher', name: r.name, key: r.key, iv: r.iv, data: r.data });
    return new Uint8Array([...ct, ...hmac(r.md, r.mackey, r.data), ...hmac(r.md, r.mackey, ct)]);
  }
  if (r.kind === 'cipher' && r.name === 'skipjack-cbc') {
    const out = r.data.slice();
    const c = new SkipjackCipher(r.key);
    cbcEncrypt(c, r.iv, out);
    c.wipe();
    return out;
  }
  const c = createCipheriv(r.name, r.key, r.iv.length > 0 ? r.iv : null);
  if (r.kind === 'gcm') {
    const g = c as ReturnType<typeof createCipheriv> & { setAAD(b: Uint8Array): void; getAuthTag(): Buffer };
    g.setAAD(r.aad);
    const out = Buffer.concat([g.update(r.data), g.final(), g.getAuthTag()]);
    return new Uint8Array(out);
  }
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(r.data), c.final()]));
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** The whole batch for the child process, at most once per call. */
function computeInChild(reqs: RefRequest[]): RefResult[] {
  const input = JSON.stringify(
    reqs.map((r) => ({
      kind: r.kind,
      name: r.name,
      key: hex(r.key),
      iv: 'iv' in r ? hex(r.iv) : '',
      aad: r.kind === 'gcm' ? hex(r.aad) : '',
      data: hex(r.data),
      md: r.kind === 'authenc' ? r.md : '',
      mackey: r.kind === 'authenc' ? hex(r.mackey) : '',
    })),
  );
  const child = spawnSync(process.execPath, ['--openssl-legacy-provider', '--input-type=commonjs', '-e', CHILD_SCRIPT], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const why = child.error?.message ?? (child.status !== 0 ? (child.stderr.split('\n').find((l) => /error/i.test(l))?.trim() ?? `exit status ${child.status}`) : undefined);
  if (why !== undefined) return reqs.map(() => ({ unavailable: `node --openssl-legacy-provider failed: ${why}` }));
  const outs = JSON.parse(child.stdout) as ({ out: string } | { error: string })[];
  return outs.map((o) => ('out' in o ? { out: new Uint8Array(Buffer.from(o.out, 'hex')) } : { unavailable: `OpenSSL (legacy provider): ${o.error}` }));
}

/** Every request's OpenSSL result, in order; in-process where possible, the rest in one child. */
export function computeReferences(reqs: readonly RefRequest[]): RefResult[] {
  const results: (RefResult | undefined)[] = new Array(reqs.length);
  const remote: number[] = [];
  reqs.forEach((r, i) => {
    if (!inProcess(r)) {
      remote.push(i);
      return;
    }
    try {
      results[i] = { out: compute(r) };
    } catch (e) {
      results[i] = { unavailable: `OpenSSL ${r.name}: ${e instanceof Error ? e.message : String(e)}` };
    }
  });
  if (remote.length > 0) {
    const outs = computeInChild(remote.map((i) => reqs[i]!));
    remote.forEach((i, j) => (results[i] = outs[j]!));
  }
  return results as RefResult[];
}
