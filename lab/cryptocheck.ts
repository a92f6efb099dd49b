/**
 * `ocfsim cryptocheck`: every crypto driver of a machine against OpenSSL, through /dev/crypto.
 * Modelled on FreeBSD's tools/tools/crypto/cryptocheck.c (2017, reference/ocf.md §7.4): for each
 * (algorithm, size, driver) it encrypts, decrypts and MACs random data with CIOCCRYPT or
 * CIOCCRYPTAEAD on that driver (CIOCGSESSION2 with the driver's crid, kern.cryptodevallowsoft=1
 * for the run) and compares every byte with OpenSSL (lab/cryptocheck-ref.ts). Every driver that
 * CIOCFINDDEV finds gets the same matrix (DPDK's cross-check idea), so a new card is checked by
 * adding nothing but the card.
 *
 *   ocfsim cryptocheck -a ALG|GROUP [-d DRIVER|all] [-z] [--sizes 16,64,...] [-A AADLEN] [--seed N] [--json]
 *
 * Algorithms take FreeBSD's names where it had them (aes-cbc, aes-ctr192, aes-xts256, aes-gcm,
 * sha1hmac, `cipher+hmac`); groups are hmac, blkcipher, authenc, aead and all. `-z` runs FreeBSD's
 * size ladder (16, 32, ..., 128 KiB, then 240 KiB) instead of the default 16; `--sizes` gives
 * sizes explicitly (0 allowed: MACs and GCM take empty data; ciphers are then skipped). A cipher
 * with an HMAC is checked as /dev/crypto ran it in 2015, MAC first: an encrypt MACs the plaintext,
 * a decrypt the ciphertext. GCM is also given a forged tag, which must fail with EBADMSG.
 *
 * One line per case: ok, FAIL (with the operation and the first differing byte), or skipped (the
 * driver has no such session, the size does not fit the block size, or OpenSSL lacks the
 * algorithm). Exit status: 0 when nothing failed, 1 on any FAIL or machine violation, 2 on a usage
 * error. `--json` prints one JSON document instead (shape in docs/cryptodev.md).
 *
 * @example
 *   const code = cryptocheck(['-a', 'all', '-d', 'cryptosoft0', '--sizes', '16,64'], { out: console.log, err: console.error });
 */
import {
  CRYPTO_3DES_CBC,
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_192_NIST_GMAC,
  CRYPTO_AES_256_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_ICM,
  CRYPTO_AES_NIST_GCM_16,
  CRYPTO_AES_XTS,
  CRYPTO_ARC4,
  CRYPTO_BLF_CBC,
  CRYPTO_CAMELLIA_CBC,
  CRYPTO_CAST_CBC,
  CRYPTO_DES_CBC,
  CRYPTO_MD5_HMAC,
  CRYPTO_RIPEMD160_HMAC,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA2_256_HMAC,
  CRYPTO_SHA2_384_HMAC,
  CRYPTO_SHA2_512_HMAC,
  CRYPTO_SKIPJACK_CBC,
  EBADMSG,
} from '../framework/constants.js';
import {
  CIOCCRYPT,
  CIOCCRYPTAEAD,
  CIOCFINDDEV,
  CIOCFSESSION,
  CIOCGSESSION2,
  COP_DECRYPT,
  COP_ENCRYPT,
  CRYPTODEV_MAX_LEN,
  crypt_aead,
  crypt_find_op,
  crypt_op,
  session2_op,
} from '../framework/cryptodev-structs.js';
import { CryptodevError, type CryptodevHandle } from '../framework/cryptodev.js';
import { Prng } from '../sim/prng.js';
import { formatViolation } from '../sim/violations.js';
import { Machine } from './machine.js';
import { computeReferences, type RefRequest, type RefResult } from './cryptocheck-ref.js';

export interface CryptocheckIO {
  out(line: string): void;
  err(line: string): void;
}

export interface CryptocheckOptions {
  /** The machine whose drivers are checked (default: `new Machine({ seed })`). */
  machine?: (seed: number) => Machine;
}

type AlgType = 'hmac' | 'blkcipher' | 'authenc' | 'aead';

interface Alg {
  readonly name: string;
  readonly type: AlgType;
  readonly cipher: number;
  readonly mac: number;
  readonly keylen: number;
  readonly ivlen: number;
  /** /dev/crypto's block size for the cipher (len must be a multiple), 1 for MACs. */
  readonly blocksize: number;
  /** OpenSSL's cipher name, or the digest for an HMAC. */
  readonly ref: string;
  /** HMACs (and a cipher's HMAC partner): digest name, key and output size. */
  readonly md?: string;
  readonly mackeylen?: number;
}

const blk = (name: string, cipher: number, keylen: number, ivlen: number, blocksize: number, ref: string): Alg => ({
  name,
  type: 'blkcipher',
  cipher,
  mac: 0,
  keylen,
  ivlen,
  blocksize,
  ref,
});
const hm = (name: string, mac: number, md: string, len: number): Alg => ({
  name,
  type: 'hmac',
  cipher: 0,
  mac,
  keylen: 0,
  ivlen: 0,
  blocksize: 1,
  ref: md,
  md,
  mackeylen: len,
});
const gcm = (name: string, mac: number, keylen: number): Alg => ({
  name,
  type: 'aead',
  cipher: CRYPTO_AES_NIST_GCM_16,
  mac,
  keylen,
  ivlen: 12,
  blocksize: 1,
  ref: `aes-${keylen * 8}-gcm`,
  mackeylen: keylen,
});

/** Block ciphers: key sizes as OpenSSL's EVP cipher has them (Blowfish, CAST: 16). */
export const BLKCIPHERS: readonly Alg[] = [
  blk('des-cbc', CRYPTO_DES_CBC, 8, 8, 8, 'des-cbc'),
  blk('3des-cbc', CRYPTO_3DES_CBC, 24, 8, 8, 'des-ede3-cbc'),
  blk('blowfish-cbc', CRYPTO_BLF_CBC, 16, 8, 8, 'bf-cbc'),
  blk('cast5-cbc', CRYPTO_CAST_CBC, 16, 8, 8, 'cast5-cbc'),
  blk('skipjack-cbc', CRYPTO_SKIPJACK_CBC, 10, 8, 8, 'skipjack-cbc'),
  blk('aes-cbc', CRYPTO_AES_CBC, 16, 16, 16, 'aes-128-cbc'),
  blk('aes-cbc192', CRYPTO_AES_CBC, 24, 16, 16, 'aes-192-cbc'),
  blk('aes-cbc256', CRYPTO_AES_CBC, 32, 16, 16, 'aes-256-cbc'),
  blk('aes-ctr', CRYPTO_AES_ICM, 16, 16, 16, 'aes-128-ctr'),
  blk('aes-ctr192', CRYPTO_AES_ICM, 24, 16, 16, 'aes-192-ctr'),
  blk('aes-ctr256', CRYPTO_AES_ICM, 32, 16, 16, 'aes-256-ctr'),
  blk('aes-xts', CRYPTO_AES_XTS, 32, 16, 16, 'aes-128-xts'),
  blk('aes-xts256', CRYPTO_AES_XTS, 64, 16, 16, 'aes-256-xts'),
  blk('camellia-cbc', CRYPTO_CAMELLIA_CBC, 16, 16, 16, 'camellia-128-cbc'),
  blk('camellia-cbc192', CRYPTO_CAMELLIA_CBC, 24, 16, 16, 'camellia-192-cbc'),
  blk('camellia-cbc256', CRYPTO_CAMELLIA_CBC, 32, 16, 16, 'camellia-256-cbc'),
  blk('rc4', CRYPTO_ARC4, 16, 0, 1, 'rc4'),
];

/** HMACs: the key is as long as the digest (FreeBSD's cryptocheck; also /dev/crypto's exact rule). */
export const HMACS: readonly Alg[] = [
  hm('md5hmac', CRYPTO_MD5_HMAC, 'md5', 16),
  hm('sha1hmac', CRYPTO_SHA1_HMAC, 'sha1', 20),
  hm('ripemd160hmac', CRYPTO_RIPEMD160_HMAC, 'ripemd160', 20),
  hm('sha256hmac', CRYPTO_SHA2_256_HMAC, 'sha256', 32),
  hm('sha384hmac', CRYPTO_SHA2_384_HMAC, 'sha384', 48),
  hm('sha512hmac', CRYPTO_SHA2_512_HMAC, 'sha512', 64),
];

export const AEADS: readonly Alg[] = [gcm('aes-gcm', CRYPTO_AES_128_NIST_GMAC, 16), gcm('aes-gcm192', CRYPTO_AES_192_NIST_GMAC, 24), gcm('aes-gcm256', CRYPTO_AES_256_NIST_GMAC, 32)];

function authenc(c: Alg, h: Alg): Alg {
  return { ...c, name: `${c.name}+${h.name}`, type: 'authenc', mac: h.mac, md: h.md!, mackeylen: h.mackeylen! };
}

const GROUPS: Readonly<Record<string, () => Alg[]>> = {
  hmac: () => [...HMACS],
  blkcipher: () => [...BLKCIPHERS],
  authenc: () => BLKCIPHERS.flatMap((c) => HMACS.map((h) => authenc(c, h))),
  aead: () => [...AEADS],
  all: () => [...GROUPS.hmac!(), ...GROUPS.blkcipher!(), ...GROUPS.authenc!(), ...GROUPS.aead!()],
};

/** FreeBSD's -z sizes: 16, doubling while below 240 KiB, then 240 KiB. */
export function allSizes(): number[] {
  const sizes = [16];
  while (sizes[sizes.length - 1]! * 2 < 240 * 1024) sizes.push(sizes[sizes.length - 1]! * 2);
  sizes.push(240 * 1024);
  return sizes;
}

export const USAGE = `usage: ocfsim cryptocheck -a ALG|GROUP [-d DRIVER|all] [-z] [--sizes N,N,...] [-A AADLEN] [--seed N] [--json]

  -a ALG        an algorithm, cipher+hmac, or a group: hmac, blkcipher, authenc, aead, all
  -d DRIVER     a driver name or prefix as CIOCFINDDEV matches it (cryptosoft0), or all (default)
  -z            FreeBSD's sizes: 16, 32, ... 128 KiB, then 240 KiB (default: 16)
  --sizes LIST  comma-separated data sizes in bytes, 0..${CRYPTODEV_MAX_LEN}
  -A AADLEN     bytes of additional data for aes-gcm (default 0)
  --seed N      seed of the machine and of the random keys, IVs and data (default 1)
  --json        print one JSON document instead of lines

  hmac:      ${HMACS.map((a) => a.name).join(' ')}
  blkcipher: ${BLKCIPHERS.map((a) => a.name).join(' ')}
  aead:      ${AEADS.map((a) => a.name).join(' ')}
  authenc:   <blkcipher>+<hmac>, e.g. aes-cbc+sha256hmac
`;

class UsageError extends Error {}

interface Args {
  algs: Alg[];
  driver: string;
  sizes: number[];
  aadlen: number;
  seed: number;
  json: boolean;
}

function findAlg(name: string, types: readonly Alg[]): Alg | undefined {
  return types.find((a) => a.name.toLowerCase() === name.toLowerCase());
}

function resolveAlgs(name: string): Alg[] {
  const group = GROUPS[name.toLowerCase()];
  if (group) return group();
  const plus = name.indexOf('+');
  if (plus >= 0) {
    const c = findAlg(name.slice(0, plus), BLKCIPHERS);
    const h = findAlg(name.slice(plus + 1), HMACS);
    if (!c) throw new UsageError(`unknown block cipher "${name.slice(0, plus)}" in "${name}"`);
    if (!h) throw new UsageError(`unknown HMAC "${name.slice(plus + 1)}" in "${name}"`);
    return [authenc(c, h)];
  }
  const a = findAlg(name, [...HMACS, ...BLKCIPHERS, ...AEADS]);
  if (!a) throw new UsageError(`unknown algorithm "${name}" (see the list below)`);
  return [a];
}

function integer(flag: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${flag} needs an integer, got ${v === undefined ? 'nothing' : `"${v}"`}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag} ${v} is outside ${min}..${max}`);
  return n;
}

export function parseArgs(argv: readonly string[]): Args {
  let alg: string | undefined;
  let driver = 'all';
  let z = false;
  let sizes: number[] | undefined;
  let aadlen = 0;
  let seed = 1;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const value = (): string | undefined => (eq > 0 ? raw.slice(eq + 1) : argv[++i]);
    switch (flag) {
      case '-a':
      case '--alg':
        alg = value();
        if (alg === undefined) throw new UsageError('-a needs an algorithm');
        break;
      case '-d':
      case '--driver':
        driver = value() ?? '';
        if (driver === '') throw new UsageError('-d needs a driver name');
        break;
      case '-z':
        z = true;
        break;
      case '--sizes': {
        const list = value();
        if (list === undefined || list === '') throw new UsageError('--sizes needs a comma-separated list');
        sizes = list.split(',').map((s) => integer('--sizes', s.trim(), 0, CRYPTODEV_MAX_LEN));
        break;
      }
      case '-A':
        aadlen = integer('-A', value(), 0, CRYPTODEV_MAX_LEN);
        break;
      case '--seed':
        seed = integer('--seed', value(), 0, Number.MAX_SAFE_INTEGER);
        break;
      case '--json':
        json = true;
        break;
      default:
        throw new UsageError(`unknown option "${raw}"`);
    }
  }
  if (alg === undefined) throw new UsageError('an algorithm is required (-a)');
  if (z && sizes) throw new UsageError('-z and --sizes exclude each other');
  return { algs: resolveAlgs(alg), driver, sizes: sizes ?? (z ? allSizes() : [16]), aadlen, seed, json };
}

// ---- the cases ---------------------------------------------------------------------------

interface Inputs {
  key: Uint8Array;
  iv: Uint8Array;
  data: Uint8Array;
  mackey: Uint8Array;
  aad: Uint8Array;
}

/** Keys, IV and data of one (algorithm, size), the same for every driver. */
function inputs(seed: number, alg: Alg, size: number, aadlen: number): Inputs {
  const rng = new Prng(seed).stream(`cryptocheck/${alg.name}/${size}`);
  const iv = rng.bytes(alg.ivlen);
  // FreeBSD's generate_iv: AES-CTR keeps the low 32 bits for the counter, some hardware counts
  // only those; AES-XTS carries a 64-bit block number in the first 8 bytes.
  if (alg.cipher === CRYPTO_AES_ICM) iv.fill(0, 12);
  if (alg.cipher === CRYPTO_AES_XTS) iv.fill(0, 8);
  return { key: rng.bytes(alg.keylen), iv, mackey: rng.bytes(alg.mackeylen ?? 0), data: rng.bytes(size), aad: rng.bytes(alg.type === 'aead' ? aadlen : 0) };
}

function refRequest(alg: Alg, i: Inputs): RefRequest {
  switch (alg.type) {
    case 'hmac':
      return { kind: 'hmac', name: alg.md!, key: i.mackey, data: i.data };
    case 'blkcipher':
      return { kind: 'cipher', name: alg.ref, key: i.key, iv: i.iv, data: i.data };
    case 'authenc':
      return { kind: 'authenc', name: alg.ref, key: i.key, iv: i.iv, data: i.data, md: alg.md!, mackey: i.mackey };
    case 'aead':
      return { kind: 'gcm', name: alg.ref, key: i.key, iv: i.iv, aad: i.aad, data: i.data };
  }
}

export interface CaseResult {
  alg: string;
  size: number;
  driver: string;
  crid: number;
  status: 'ok' | 'fail' | 'skipped';
  reason?: string;
  /** For a mismatch: which operation, the first differing byte and the two values (hex). */
  op?: string;
  offset?: number;
  expected?: string;
  actual?: string;
}

type Outcome = Omit<CaseResult, 'alg' | 'size' | 'driver' | 'crid'>;

class Fail extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.reason);
  }
}

const h2 = (v: number | undefined): string => (v === undefined ? 'end of data' : `0x${v.toString(16).padStart(2, '0')}`);

/** Compare what a driver returned with OpenSSL's bytes; throws the FAIL with the first difference. */
function compare(op: string, expected: Uint8Array, actual: Uint8Array): void {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      const e = expected[i];
      const a = actual[i];
      throw new Fail({
        status: 'fail',
        op,
        offset: i,
        ...(e !== undefined ? { expected: e.toString(16).padStart(2, '0') } : {}),
        ...(a !== undefined ? { actual: a.toString(16).padStart(2, '0') } : {}),
        reason: `${op}: first difference at byte ${i} of ${expected.length} (expected ${h2(e)}, got ${h2(a)})`,
      });
    }
  }
}

/** An ioctl that must work once the session exists. */
function call(fd: CryptodevHandle, op: string, cmd: number, arg: unknown): void {
  try {
    fd.ioctlSync(cmd, arg);
  } catch (e) {
    const why = e instanceof CryptodevError ? e.message : `exception: ${e instanceof Error ? e.message : String(e)}`;
    throw new Fail({ status: 'fail', op, reason: `${op}: ${why}` });
  }
}

/** Why /dev/crypto cannot take `size` bytes for this algorithm (the case is skipped), if it cannot. */
function sizeProblem(alg: Alg, size: number): string | undefined {
  if (alg.type !== 'blkcipher' && alg.type !== 'authenc') return undefined;
  if (size === 0) return 'size 0: /dev/crypto needs a non-empty buffer for a cipher';
  if (size % alg.blocksize !== 0) return `size ${size} is not a multiple of the block size ${alg.blocksize}`;
  return undefined;
}

function runCase(fd: CryptodevHandle, crid: number, driver: string, alg: Alg, size: number, i: Inputs, ref: Uint8Array): Outcome {
  const sop = new session2_op({ cipher: alg.cipher, keylen: alg.keylen, key: i.key, mac: alg.mac, mackeylen: alg.mackeylen ?? 0, mackey: alg.type === 'aead' ? i.key : i.mackey, crid });
  try {
    fd.ioctlSync(CIOCGSESSION2, sop);
  } catch (e) {
    if (!(e instanceof CryptodevError)) throw e;
    return { status: 'skipped', reason: `unsupported by ${driver} (CIOCGSESSION2: ${e.code})` };
  }
  const iv = alg.ivlen > 0 ? i.iv : null;
  try {
    switch (alg.type) {
      case 'hmac': {
        const mac = new Uint8Array(alg.mackeylen!);
        call(fd, 'hmac', CIOCCRYPT, new crypt_op({ ses: sop.ses, op: 0, len: size, src: i.data, mac }));
        compare('hmac', ref, mac);
        break;
      }
      case 'blkcipher': {
        const out = new Uint8Array(size);
        call(fd, 'encrypt', CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: size, src: i.data, dst: out, iv }));
        compare('encrypt', ref, out);
        call(fd, 'decrypt', CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_DECRYPT, len: size, src: ref, dst: out, iv }));
        compare('decrypt', i.data, out);
        break;
      }
      case 'authenc': {
        const hs = alg.mackeylen!;
        const [ct, encMac, decMac] = [ref.subarray(0, size), ref.subarray(size, size + hs), ref.subarray(size + hs)];
        const out = new Uint8Array(size);
        const mac = new Uint8Array(hs);
        call(fd, 'encrypt', CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: size, src: i.data, dst: out, iv, mac }));
        compare('encrypt', ct, out);
        compare('encrypt hmac', encMac, mac);
        call(fd, 'decrypt', CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_DECRYPT, len: size, src: ct, dst: out, iv, mac }));
        compare('decrypt', i.data, out);
        compare('decrypt hmac', decMac, mac);
        break;
      }
      case 'aead': {
        const [ct, tagRef] = [ref.subarray(0, size), ref.subarray(size)];
        const out = new Uint8Array(size);
        const tag = new Uint8Array(16);
        const aad = i.aad.length > 0 ? i.aad : null;
        const base = { ses: sop.ses, len: size, aadlen: i.aad.length, ivlen: alg.ivlen, aad, iv };
        call(fd, 'encrypt', CIOCCRYPTAEAD, new crypt_aead({ ...base, op: COP_ENCRYPT, src: i.data, dst: out, tag }));
        compare('encrypt', ct, out);
        compare('encrypt tag', tagRef, tag);
        call(fd, 'decrypt', CIOCCRYPTAEAD, new crypt_aead({ ...base, op: COP_DECRYPT, src: ct, dst: out, tag: tagRef.slice() }));
        compare('decrypt', i.data, out);
        const forged = tagRef.slice();
        forged[0]! ^= 0x01;
        let accepted = true;
        try {
          fd.ioctlSync(CIOCCRYPTAEAD, new crypt_aead({ ...base, op: COP_DECRYPT, src: ct, dst: out, tag: forged }));
        } catch (e) {
          if (!(e instanceof CryptodevError) || e.errno !== EBADMSG) throw new Fail({ status: 'fail', op: 'forged tag', reason: `forged tag: expected EBADMSG, got ${e instanceof Error ? e.message : String(e)}` });
          accepted = false;
        }
        if (accepted) throw new Fail({ status: 'fail', op: 'forged tag', reason: 'forged tag: the decrypt succeeded (expected EBADMSG)' });
        break;
      }
    }
    return { status: 'ok' };
  } catch (e) {
    if (e instanceof Fail) return e.outcome;
    throw e;
  } finally {
    try {
      fd.ioctlSync(CIOCFSESSION, sop.ses);
    } catch {
      /* the verdict stands; a failing free shows up in the machine's violations, if anywhere */
    }
  }
}

interface Driver {
  crid: number;
  name: string;
}

/** Every driver CIOCFINDDEV knows, by crid. */
function listDrivers(m: Machine, fd: CryptodevHandle): Driver[] {
  const out: Driver[] = [];
  for (let crid = 0; crid < m.crypto.drivers.slots.length; crid++) {
    const f = new crypt_find_op({ crid });
    try {
      fd.ioctlSync(CIOCFINDDEV, f);
      out.push({ crid, name: f.name });
    } catch (e) {
      if (!(e instanceof CryptodevError)) throw e;
    }
  }
  return out;
}

function selectDrivers(m: Machine, fd: CryptodevHandle, which: string): Driver[] {
  const all = listDrivers(m, fd);
  if (all.length === 0) throw new UsageError('no crypto driver is attached to the machine');
  if (which.toLowerCase() === 'all') return all;
  const f = new crypt_find_op({ crid: -1, name: which });
  try {
    fd.ioctlSync(CIOCFINDDEV, f);
  } catch (e) {
    if (!(e instanceof CryptodevError)) throw e;
    throw new UsageError(`unknown driver "${which}" (attached: ${all.map((d) => d.name).join(', ')}, or all)`);
  }
  return all.filter((d) => d.crid === f.crid);
}

/**
 * Run `ocfsim cryptocheck` with `argv` (the words after "cryptocheck"), writing to `io`. Returns
 * the exit status: 0 all good, 1 a FAIL or a machine violation, 2 a usage error.
 */
export function cryptocheck(argv: readonly string[], io: CryptocheckIO, options: CryptocheckOptions = {}): number {
  let args: Args;
  let m: Machine;
  let drivers: Driver[];
  let fd: CryptodevHandle;
  try {
    args = parseArgs(argv);
    m = options.machine ? options.machine(args.seed) : new Machine({ seed: args.seed });
    fd = m.cryptodev();
    drivers = selectDrivers(m, fd, args.driver);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`ocfsim cryptocheck: ${e.message}`);
    io.err(USAGE);
    return 2;
  }
  const allowsoft = m.sysctl('kern.cryptodevallowsoft');
  m.sysctl('kern.cryptodevallowsoft', 1);

  // Inputs and OpenSSL's answers first, for every (algorithm, size): one batch, one child.
  const matrix = args.algs.flatMap((alg) =>
    args.sizes.map((size) => ({ alg, size, skip: sizeProblem(alg, size), in: inputs(args.seed, alg, size, args.aadlen) })),
  );
  const wanted = matrix.filter((c) => c.skip === undefined);
  const answers = computeReferences(wanted.map((c) => refRequest(c.alg, c.in)));
  const refs = new Map<(typeof matrix)[number], RefResult>(wanted.map((c, k) => [c, answers[k]!]));

  const nameWidth = Math.max(12, ...args.algs.map((a) => a.name.length));
  const driverWidth = Math.max(8, ...drivers.map((d) => d.name.length));
  if (!args.json) {
    io.out(`cryptocheck: seed ${args.seed}, sizes ${args.sizes.join(',')}, drivers ${drivers.map((d) => `${d.name} (crid ${d.crid})`).join(', ')}`);
  }
  const results: CaseResult[] = [];
  for (const c of matrix) {
    const ref = refs.get(c);
    for (const d of drivers) {
      const outcome: Outcome =
        ref === undefined
          ? { status: 'skipped', reason: c.skip! }
          : 'unavailable' in ref
            ? { status: 'skipped', reason: `no reference: ${ref.unavailable}` }
            : runCase(fd, d.crid, d.name, c.alg, c.size, c.in, ref.out);
      const r: CaseResult = { alg: c.alg.name, size: c.size, driver: d.name, crid: d.crid, ...outcome };
      results.push(r);
      if (!args.json) {
        const verdict = r.status === 'ok' ? 'ok' : r.status === 'fail' ? `FAIL ${r.reason}` : `skipped: ${r.reason}`;
        io.out(`${r.alg.padEnd(nameWidth)} ${String(r.size).padStart(6)}  ${r.driver.padEnd(driverWidth)}  ${verdict}`);
      }
    }
  }
  fd.close();
  m.run();
  m.sysctl('kern.cryptodevallowsoft', allowsoft);

  const count = (s: CaseResult['status']) => results.filter((r) => r.status === s).length;
  const summary = { total: results.length, ok: count('ok'), fail: count('fail'), skipped: count('skipped') };
  const violations = m.violations.all.map(formatViolation);
  if (args.json) {
    io.out(
      JSON.stringify(
        { tool: 'ocfsim cryptocheck', seed: args.seed, sizes: args.sizes, aadlen: args.aadlen, drivers, cases: results, summary, violations },
        null,
        2,
      ),
    );
  } else {
    for (const v of violations) io.out(`violation: ${v}`);
    io.out(
      `cryptocheck: ${summary.total} cases on ${drivers.length} driver(s): ${summary.ok} ok, ${summary.fail} FAIL, ${summary.skipped} skipped` +
        (violations.length > 0 ? `, ${violations.length} violation(s)` : ''),
    );
  }
  return summary.fail > 0 || violations.length > 0 ? 1 : 0;
}
