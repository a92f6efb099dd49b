/**
 * The Hifn command and result buffers (hw.md §2.4), as a codec both sides use: the driver writes a
 * command into its slot of the DMA area, the chip fetches it through the command ring and parses
 * it; the chip writes a result buffer through the result ring and the driver reads the MAC from it.
 *
 * Layout, little-endian 16-bit fields throughout:
 *   base command (8)  masks, session_num, total_source_count, total_dest_count
 *   comp command (8)  if BASE_CMD_COMP: masks, header_skip, source_count, reserved
 *   mac command (8)   if BASE_CMD_MAC: same layout
 *   crypt command (8) if BASE_CMD_CRYPT: same layout
 *   MAC key (64)      if MAC_CMD_NEW_KEY
 *   cipher key        if CRYPT_CMD_NEW_KEY: DES 8, 3DES 24, RC4 256 + 4 zero bytes, AES 16/24/32
 *   IV (8, AES 16)    if CRYPT_CMD_NEW_IV
 *   8 zero bytes      if neither MAC nor CRYPT
 * Counts are 18 bits: the low 16 in the count field, bits 16-17 in the sub-command's masks (bits
 * 14-15) or, for the base command, in session_num (source bits 14-15, destination bits 12-13).
 *
 * Source: FreeBSD 9.3 hifn7751reg.h and hifn_write_command() in hifn7751.c; the compression
 * command and the result structures from OpenBSD's and Linux's hifn headers (the FreeBSD driver
 * never compresses). The model parses compression commands but has no LZS engine (model.ts).
 *
 * @example
 *   const n = hifnWriteCommand({ baseMasks: HIFN_BASE_CMD_CRYPT, srcCount: 64, dstCount: 64,
 *     crypt: { masks: HIFN_CRYPT_CMD_ALG_3DES | HIFN_CRYPT_CMD_MODE_CBC | HIFN_CRYPT_CMD_NEW_KEY |
 *       HIFN_CRYPT_CMD_NEW_IV, headerSkip: 0, sourceCount: 64, key, iv } }, slot);
 *   const parsed = hifnParseCommand(fetched); // in the model
 */

export const HIFN_BASE_CMD_COMP = 0x0100;
export const HIFN_BASE_CMD_PAD = 0x0200;
export const HIFN_BASE_CMD_MAC = 0x0400;
export const HIFN_BASE_CMD_CRYPT = 0x0800;
export const HIFN_BASE_CMD_DECODE = 0x2000;
export const HIFN_BASE_CMD_SRCLEN_M = 0xc000;
export const HIFN_BASE_CMD_SRCLEN_S = 14;
export const HIFN_BASE_CMD_DSTLEN_M = 0x3000;
export const HIFN_BASE_CMD_DSTLEN_S = 12;
export const HIFN_BASE_CMD_LENMASK_HI = 0x30000;
export const HIFN_BASE_CMD_LENMASK_LO = 0x0ffff;

export const HIFN_CRYPT_CMD_ALG_MASK = 0x0003;
export const HIFN_CRYPT_CMD_ALG_DES = 0x0000;
export const HIFN_CRYPT_CMD_ALG_3DES = 0x0001;
export const HIFN_CRYPT_CMD_ALG_RC4 = 0x0002;
export const HIFN_CRYPT_CMD_ALG_AES = 0x0003;
export const HIFN_CRYPT_CMD_MODE_MASK = 0x0018;
export const HIFN_CRYPT_CMD_MODE_ECB = 0x0000;
export const HIFN_CRYPT_CMD_MODE_CBC = 0x0008;
export const HIFN_CRYPT_CMD_MODE_CFB = 0x0010;
export const HIFN_CRYPT_CMD_MODE_OFB = 0x0018;
export const HIFN_CRYPT_CMD_CLR_CTX = 0x0040;
export const HIFN_CRYPT_CMD_KSZ_MASK = 0x0600;
export const HIFN_CRYPT_CMD_KSZ_128 = 0x0000;
export const HIFN_CRYPT_CMD_KSZ_192 = 0x0200;
export const HIFN_CRYPT_CMD_KSZ_256 = 0x0400;
export const HIFN_CRYPT_CMD_NEW_KEY = 0x0800;
export const HIFN_CRYPT_CMD_NEW_IV = 0x1000;
export const HIFN_CRYPT_CMD_SRCLEN_M = 0xc000;
export const HIFN_CRYPT_CMD_SRCLEN_S = 14;

export const HIFN_MAC_CMD_ALG_MASK = 0x0001;
export const HIFN_MAC_CMD_ALG_SHA1 = 0x0000;
export const HIFN_MAC_CMD_ALG_MD5 = 0x0001;
export const HIFN_MAC_CMD_MODE_MASK = 0x000c;
export const HIFN_MAC_CMD_MODE_HMAC = 0x0000;
export const HIFN_MAC_CMD_MODE_SSL_MAC = 0x0004;
export const HIFN_MAC_CMD_MODE_HASH = 0x0008;
/** Produce a 96-bit (12-byte) MAC. */
export const HIFN_MAC_CMD_TRUNC = 0x0010;
export const HIFN_MAC_CMD_RESULT = 0x0020;
export const HIFN_MAC_CMD_APPEND = 0x0040;
/** Authenticate after encryption on encode, before decryption on decode (ESP order). */
export const HIFN_MAC_CMD_POS_IPSEC = 0x0200;
export const HIFN_MAC_CMD_NEW_KEY = 0x0800;
export const HIFN_MAC_CMD_SRCLEN_M = 0xc000;
export const HIFN_MAC_CMD_SRCLEN_S = 14;

export const HIFN_COMP_CMD_SRCLEN_M = 0xc000;
export const HIFN_COMP_CMD_SRCLEN_S = 14;
export const HIFN_COMP_CMD_ONE = 0x0100;
export const HIFN_COMP_CMD_CLEARHIST = 0x0010;
export const HIFN_COMP_CMD_UPDATEHIST = 0x0008;
export const HIFN_COMP_CMD_ALG_MASK = 0x0001;
export const HIFN_COMP_CMD_ALG_LZS = 0x0000;
export const HIFN_COMP_CMD_ALG_MPPC = 0x0001;

export const HIFN_BASE_RES_DSTOVERRUN = 0x0200;
export const HIFN_BASE_RES_SRCLEN_M = 0xc000;
export const HIFN_BASE_RES_SRCLEN_S = 14;
export const HIFN_BASE_RES_DSTLEN_M = 0x3000;
export const HIFN_BASE_RES_DSTLEN_S = 12;
/** hifn7751var.h lengths. */
export const HIFN_DES_KEY_LENGTH = 8;
export const HIFN_3DES_KEY_LENGTH = 24;
export const HIFN_RC4_KEY_LENGTH = 256;
export const HIFN_IV_LENGTH = 8;
export const HIFN_AES_IV_LENGTH = 16;
export const HIFN_MAC_KEY_LENGTH = 64;
export const HIFN_MD5_LENGTH = 16;
export const HIFN_SHA1_LENGTH = 20;
export const HIFN_MAC_TRUNC_LENGTH = 12;
/** base + mac + crypt command, MAC key, RC4 key and its 4 pad bytes. */
export const HIFN_MAX_COMMAND = 8 + 8 + 8 + 64 + 260;
/** base result + MAC result header + MAC + crypt result. */
export const HIFN_MAX_RESULT = 8 + 4 + 20 + 4;
/** Where the MAC starts in a result buffer (driver: "macbuf += 12"). */
export const HIFN_RES_MAC_OFFSET = 12;

/** One sub-command (comp, MAC or crypt): masks without the length bits, skip, 18-bit count. */
export interface HifnSubCommand {
  masks: number;
  headerSkip: number;
  sourceCount: number;
}

export interface HifnCommand {
  /** Base masks (COMP, MAC, CRYPT, DECODE). */
  baseMasks: number;
  /** Context slot (12 bits; the codec puts the counts' high bits above it). FreeBSD always sends 0. */
  sessionNum?: number;
  srcCount: number;
  dstCount: number;
  comp?: HifnSubCommand;
  mac?: HifnSubCommand & { key?: Uint8Array };
  crypt?: HifnSubCommand & { key?: Uint8Array; iv?: Uint8Array };
}

export type HifnParseResult = { ok: true; cmd: HifnCommand; length: number } | { ok: false; reason: string };

/** Bytes of cipher key a crypt command carries, from its masks. */
export function hifnCryptKeyLength(masks: number): number {
  switch (masks & HIFN_CRYPT_CMD_ALG_MASK) {
    case HIFN_CRYPT_CMD_ALG_DES:
      return HIFN_DES_KEY_LENGTH;
    case HIFN_CRYPT_CMD_ALG_3DES:
      return HIFN_3DES_KEY_LENGTH;
    case HIFN_CRYPT_CMD_ALG_RC4:
      return HIFN_RC4_KEY_LENGTH + 4;
    default: {
      const ksz = masks & HIFN_CRYPT_CMD_KSZ_MASK;
      return ksz === HIFN_CRYPT_CMD_KSZ_256 ? 32 : ksz === HIFN_CRYPT_CMD_KSZ_192 ? 24 : 16;
    }
  }
}

export function hifnIvLength(masks: number): number {
  return (masks & HIFN_CRYPT_CMD_ALG_MASK) === HIFN_CRYPT_CMD_ALG_AES ? HIFN_AES_IV_LENGTH : HIFN_IV_LENGTH;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

function get16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

function putSub(b: Uint8Array, at: number, s: HifnSubCommand, lenMask: number, lenShift: number): void {
  put16(b, at, (s.masks & ~lenMask) | (((s.sourceCount >>> 16) << lenShift) & lenMask));
  put16(b, at + 2, s.headerSkip);
  put16(b, at + 4, s.sourceCount & 0xffff);
  put16(b, at + 6, 0);
}

function getSub(b: Uint8Array, at: number, lenMask: number, lenShift: number): HifnSubCommand {
  const m = get16(b, at);
  return { masks: m & ~lenMask, headerSkip: get16(b, at + 2), sourceCount: get16(b, at + 4) | (((m & lenMask) >>> lenShift) << 16) };
}

/**
 * hifn_write_command: encode `cmd` into `buf` from byte `at`; returns the command length. The
 * RC4 key is repeated to fill 256 bytes, as the driver does.
 */
export function hifnWriteCommand(cmd: HifnCommand, buf: Uint8Array, at = 0): number {
  let p = at;
  const base = cmd.baseMasks & 0xffff;
  put16(buf, p, base);
  put16(buf, p + 2, ((cmd.sessionNum ?? 0) & 0x0fff) | (((cmd.srcCount >>> 16) << HIFN_BASE_CMD_SRCLEN_S) & HIFN_BASE_CMD_SRCLEN_M) | (((cmd.dstCount >>> 16) << HIFN_BASE_CMD_DSTLEN_S) & HIFN_BASE_CMD_DSTLEN_M));
  put16(buf, p + 4, cmd.srcCount & HIFN_BASE_CMD_LENMASK_LO);
  put16(buf, p + 6, cmd.dstCount & HIFN_BASE_CMD_LENMASK_LO);
  p += 8;
  if (base & HIFN_BASE_CMD_COMP && cmd.comp) {
    putSub(buf, p, cmd.comp, HIFN_COMP_CMD_SRCLEN_M, HIFN_COMP_CMD_SRCLEN_S);
    p += 8;
  }
  if (base & HIFN_BASE_CMD_MAC && cmd.mac) {
    putSub(buf, p, cmd.mac, HIFN_MAC_CMD_SRCLEN_M, HIFN_MAC_CMD_SRCLEN_S);
    p += 8;
  }
  if (base & HIFN_BASE_CMD_CRYPT && cmd.crypt) {
    putSub(buf, p, cmd.crypt, HIFN_CRYPT_CMD_SRCLEN_M, HIFN_CRYPT_CMD_SRCLEN_S);
    p += 8;
  }
  if (cmd.mac && cmd.mac.masks & HIFN_MAC_CMD_NEW_KEY) {
    buf.fill(0, p, p + HIFN_MAC_KEY_LENGTH);
    buf.set((cmd.mac.key ?? new Uint8Array(0)).subarray(0, HIFN_MAC_KEY_LENGTH), p);
    p += HIFN_MAC_KEY_LENGTH;
  }
  if (cmd.crypt && cmd.crypt.masks & HIFN_CRYPT_CMD_NEW_KEY) {
    const key = cmd.crypt.key ?? new Uint8Array(0);
    if ((cmd.crypt.masks & HIFN_CRYPT_CMD_ALG_MASK) === HIFN_CRYPT_CMD_ALG_RC4) {
      if (key.length === 0) throw new RangeError('hifnWriteCommand: an RC4 key needs at least one byte');
      for (let i = 0; i < HIFN_RC4_KEY_LENGTH; i++) buf[p + i] = key[i % key.length]!;
      buf.fill(0, p + HIFN_RC4_KEY_LENGTH, p + HIFN_RC4_KEY_LENGTH + 4);
      p += HIFN_RC4_KEY_LENGTH + 4;
    } else {
      const n = hifnCryptKeyLength(cmd.crypt.masks);
      if (key.length !== n) throw new RangeError(`hifnWriteCommand: crypt masks 0x${cmd.crypt.masks.toString(16)} need a ${n}-byte key, got ${key.length}`);
      buf.set(key, p);
      p += n;
    }
  }
  if (cmd.crypt && cmd.crypt.masks & HIFN_CRYPT_CMD_NEW_IV) {
    const n = hifnIvLength(cmd.crypt.masks);
    const iv = cmd.crypt.iv ?? new Uint8Array(0);
    if (iv.length < n) throw new RangeError(`hifnWriteCommand: the IV needs ${n} bytes, got ${iv.length}`);
    buf.set(iv.subarray(0, n), p);
    p += n;
  }
  if ((base & (HIFN_BASE_CMD_MAC | HIFN_BASE_CMD_CRYPT)) === 0) {
    buf.fill(0, p, p + 8);
    p += 8;
  }
  return p - at;
}

/** Parse a command buffer the chip fetched (`bytes` = the buffer, `bytes.length` = the descriptor's length). */
export function hifnParseCommand(bytes: Uint8Array): HifnParseResult {
  const need = (n: number, what: string): string | null => (p + n > bytes.length ? `command is ${bytes.length} bytes, too short for the ${what}` : null);
  let p = 0;
  let err = need(8, 'base command');
  if (err) return { ok: false, reason: err };
  const base = get16(bytes, 0);
  const sess = get16(bytes, 2);
  const cmd: HifnCommand = {
    baseMasks: base,
    sessionNum: sess & 0x0fff,
    srcCount: get16(bytes, 4) | (((sess & HIFN_BASE_CMD_SRCLEN_M) >>> HIFN_BASE_CMD_SRCLEN_S) << 16),
    dstCount: get16(bytes, 6) | (((sess & HIFN_BASE_CMD_DSTLEN_M) >>> HIFN_BASE_CMD_DSTLEN_S) << 16),
  };
  p = 8;
  for (const [bit, name, m, s] of [
    [HIFN_BASE_CMD_COMP, 'comp', HIFN_COMP_CMD_SRCLEN_M, HIFN_COMP_CMD_SRCLEN_S],
    [HIFN_BASE_CMD_MAC, 'mac', HIFN_MAC_CMD_SRCLEN_M, HIFN_MAC_CMD_SRCLEN_S],
    [HIFN_BASE_CMD_CRYPT, 'crypt', HIFN_CRYPT_CMD_SRCLEN_M, HIFN_CRYPT_CMD_SRCLEN_S],
  ] as const) {
    if (!(base & bit)) continue;
    if ((err = need(8, `${name} command`))) return { ok: false, reason: err };
    cmd[name] = getSub(bytes, p, m, s);
    p += 8;
  }
  if (cmd.mac && cmd.mac.masks & HIFN_MAC_CMD_NEW_KEY) {
    if ((err = need(HIFN_MAC_KEY_LENGTH, 'MAC key'))) return { ok: false, reason: err };
    cmd.mac.key = bytes.slice(p, p + HIFN_MAC_KEY_LENGTH);
    p += HIFN_MAC_KEY_LENGTH;
  }
  if (cmd.crypt && cmd.crypt.masks & HIFN_CRYPT_CMD_NEW_KEY) {
    const n = hifnCryptKeyLength(cmd.crypt.masks);
    if ((err = need(n, 'cipher key'))) return { ok: false, reason: err };
    cmd.crypt.key = bytes.slice(p, p + (n === HIFN_RC4_KEY_LENGTH + 4 ? HIFN_RC4_KEY_LENGTH : n));
    p += n;
  }
  if (cmd.crypt && cmd.crypt.masks & HIFN_CRYPT_CMD_NEW_IV) {
    const n = hifnIvLength(cmd.crypt.masks);
    if ((err = need(n, 'IV'))) return { ok: false, reason: err };
    cmd.crypt.iv = bytes.slice(p, p + n);
    p += n;
  }
  if ((base & (HIFN_BASE_CMD_MAC | HIFN_BASE_CMD_CRYPT)) === 0) p += 8;
  return { ok: true, cmd, length: p };
}

/** The base result the chip writes at the start of a result buffer. */
export function hifnWriteBaseResult(buf: Uint8Array, flags: number, srcCount: number, dstCount: number): void {
  put16(buf, 0, (flags & ~(HIFN_BASE_RES_SRCLEN_M | HIFN_BASE_RES_DSTLEN_M)) | (((srcCount >>> 16) << HIFN_BASE_RES_SRCLEN_S) & HIFN_BASE_RES_SRCLEN_M) | (((dstCount >>> 16) << HIFN_BASE_RES_DSTLEN_S) & HIFN_BASE_RES_DSTLEN_M));
  put16(buf, 2, 0);
  put16(buf, 4, srcCount & 0xffff);
  put16(buf, 6, dstCount & 0xffff);
}

export function hifnBaseResultFlags(buf: Uint8Array): number {
  return get16(buf, 0);
}
