/**
 * The OpenSSL oracle of the cipher tests: one child process (Node's own OpenSSL, with the legacy
 * provider when asked, for cast5/rc4/des/bf) answers a whole batch of cases.
 */
import { spawnSync } from 'node:child_process';

export interface OsslCase {
  alg: string;
  key: string;
  iv: string;
  data: string;
  decrypt: boolean;
}

const ORACLE = `
const crypto = require('node:crypto');
let input = '';
process.stdin.on('data', (c) => (input += c)).on('end', () => {
  const out = JSON.parse(input).map((c) => {
    const make = c.decrypt ? crypto.createDecipheriv : crypto.createCipheriv;
    const x = make(c.alg, Buffer.from(c.key, 'hex'), c.iv ? Buffer.from(c.iv, 'hex') : null).setAutoPadding(false);
    return Buffer.concat([x.update(Buffer.from(c.data, 'hex')), x.final()]).toString('hex');
  });
  process.stdout.write(JSON.stringify(out));
});`;

function flags(legacy: boolean): string[] {
  return legacy ? ['--openssl-legacy-provider', '--input-type=commonjs'] : ['--input-type=commonjs'];
}

/** Hex results of every case, in order. */
export function openssl(cases: OsslCase[], legacy: boolean): string[] {
  const r = spawnSync(process.execPath, [...flags(legacy), '-e', ORACLE], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`OpenSSL oracle failed (status ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

/** The line of a child's stderr that names the error (the first line is usually a source location). */
function firstError(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return (lines.find((l) => /error/i.test(l)) ?? lines[0] ?? '').trim();
}

/** Whether this Node's OpenSSL runs `script` (a probe creating the ciphers a test needs). */
export function probeOpenssl(script: string, what: string, legacy: boolean): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync(process.execPath, [...flags(legacy), '-e', script], { encoding: 'utf8' });
  if (r.status === 0) return { ok: true };
  const via = legacy ? ' via --openssl-legacy-provider' : '';
  return { ok: false, reason: `OpenSSL ${what} unavailable${via}: ${firstError(r.stderr || r.error?.message || '')}` };
}
