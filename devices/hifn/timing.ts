/**
 * Timing of the Hifn parts: one table per part, every constant with its source (the man page,
 * docs/devices/hifn.md, shows them side by side). The formulas that
 * use them are `hifnEngineCycles` (below) and the pipeline in model-pipeline.ts; DMA time is the
 * PCI bus model's (sim/pci-dma.ts), given the card's burst size from this table.
 *
 * What is known (hw.md §2.9, §8): the 795x driver targets a 266 MHz core (4 x 66 MHz = 264 MHz with
 * the default "ext66" PLL setting) and the PK clock is half of it (Linux hifn_795x.c). Nothing else
 * was found: no datasheet throughput, no cycle counts, no 7751/7951 clock (hw.md §8 "NOT FOUND").
 * So the rest are estimates from the structure of the algorithms in hardware (an iterative DES
 * round per clock, a 32-bit AES column datapath, one MD5/SHA-1 step per clock), checked against
 * the two published figures (docs/devices/hifn.md, "Calibration"; test calibration.test.ts):
 *
 * - Miltchev et al. 2002: for 40-byte packets, card setup, PCI transfer and interrupt cost about as
 *   much as software encryption did on the host of that era (`opSetupCycles`);
 * - Keromytis et al. 2003: several cards reach ~95% of their 3DES peak on large packets and more
 *   than 800 Mbit/s together (`coreHz` of the 7751/7951, fitted: nothing was published).
 */
import { defineTiming, type TimingTable } from '../kit/timing.js';
import type { HifnPartName } from './parts.js';
import {
  HIFN_BASE_CMD_CRYPT,
  HIFN_BASE_CMD_MAC,
  HIFN_CRYPT_CMD_ALG_3DES,
  HIFN_CRYPT_CMD_ALG_AES,
  HIFN_CRYPT_CMD_ALG_DES,
  HIFN_CRYPT_CMD_ALG_MASK,
  HIFN_CRYPT_CMD_ALG_RC4,
  HIFN_CRYPT_CMD_KSZ_192,
  HIFN_CRYPT_CMD_KSZ_256,
  HIFN_CRYPT_CMD_KSZ_MASK,
  HIFN_MAC_CMD_ALG_MASK,
  HIFN_MAC_CMD_ALG_MD5,
  HIFN_MAC_CMD_MODE_HASH,
  HIFN_MAC_CMD_MODE_MASK,
  type HifnCommand,
} from './command.js';

export type HifnTimingKey =
  | 'coreHz'
  | 'pkClockDivisor'
  | 'opSetupCycles'
  | 'desCyclesPerBlock'
  | 'tdesCyclesPerBlock'
  | 'aes128CyclesPerBlock'
  | 'aes192CyclesPerBlock'
  | 'aes256CyclesPerBlock'
  | 'rc4CyclesPerByte'
  | 'rc4KeySetupCycles'
  | 'md5CyclesPerBlock'
  | 'sha1CyclesPerBlock'
  | 'hmacExtraBlocks'
  | 'dmaBurstBytes'
  | 'pipelineDepth'
  | 'pollUnitPciClocks'
  | 'pollGiveUp'
  | 'puResetCycles'
  | 'pkResetCycles'
  | 'pkOpSetupCycles'
  | 'pkWordMulCycles'
  | 'pkModmulSetupCycles'
  | 'pkMultsPerExpBit';

export type HifnTiming = TimingTable<HifnTimingKey>;

const est = (why: string): string => `estimate: ${why}`;

/** Shared by every part: algorithm structure, not clock speed. */
const COMMON = {
  desCyclesPerBlock: { value: 16, unit: 'cycles/8 B', source: est('an iterative DES core, one of the 16 rounds per clock') },
  tdesCyclesPerBlock: { value: 48, unit: 'cycles/8 B', source: est('three passes of the DES core (EDE)') },
  rc4CyclesPerByte: { value: 2, unit: 'cycles/byte', source: est('an RC4 PRGA step is two dependent S-box reads and a swap') },
  rc4KeySetupCycles: { value: 512, unit: 'cycles', source: est('KSA over 256 S-box entries at 2 clocks each; the key comes with every command') },
  md5CyclesPerBlock: { value: 66, unit: 'cycles/64 B', source: est('64 MD5 steps at one per clock, plus 2 to add the chaining value') },
  sha1CyclesPerBlock: { value: 82, unit: 'cycles/64 B', source: est('80 SHA-1 steps at one per clock, plus 2') },
  hmacExtraBlocks: { value: 3, unit: 'blocks', source: 'RFC 2104: key^ipad and key^opad blocks, and the outer hash of the inner digest' },
  pipelineDepth: { value: 3, unit: 'requests', source: est('one request each in input DMA, engine and output DMA (the 7711 input/output FIFO phases, hw.md §2.9)') },
  pollUnitPciClocks: { value: 256, unit: 'PCI clocks', source: est('DMA_CNFG.POLLFREQ has no documented unit; POLLFREQ=1 polls a waiting ring every 256 PCI clocks (7.7 us at 33 MHz)') },
  pollGiveUp: { value: 4096, unit: 'polls', source: 'simulation artefact, not the chip: a ring stops polling after 4096 empty polls (31 ms at POLLFREQ=1) until it is enabled again (model-pipeline.ts)' },
  puResetCycles: { value: 64, unit: 'cycles', source: est('PUCTRL.RESET clears within the first of the driver\'s 1 us polls') },
  pkResetCycles: { value: 256, unit: 'cycles', source: est('PUB_RESET clears before the driver\'s first 1 ms poll') },
  pkOpSetupCycles: { value: 400, unit: 'PK cycles', source: est('operand fetch from PUB_MEM and Barrett set-up') },
  pkWordMulCycles: { value: 1, unit: 'PK cycles', source: est('one 32x32-bit multiply-accumulate per PK clock') },
  pkModmulSetupCycles: { value: 40, unit: 'PK cycles', source: est('pipeline fill and carry resolution per modular multiplication') },
  pkMultsPerExpBit: { value: 1.5, unit: 'modmuls/bit', source: 'binary square-and-multiply: one squaring per bit, a multiply for half of them on average' },
};

const T7751 = defineTiming<HifnTimingKey>({
  ...COMMON,
  coreHz: { value: 82_500_000, unit: 'Hz', source: 'calibrated to Keromytis et al. 2003 (several cards: >800 Mbit/s 3DES at ~95% of peak): no 7751 clock was found (hw.md §2.9); 82.5 MHz (2.5 x PCI) gives a 110 Mbit/s 3DES engine, and eight 7751s on one 64-bit/66 MHz bus then reach 868 Mbit/s, 98.7% of their peak (bench/hifn.bench.ts)' },
  pkClockDivisor: { value: 2, unit: 'ratio', source: 'no PK unit on the 7751 (unused)' },
  aes128CyclesPerBlock: { value: 44, unit: 'cycles/16 B', source: 'no AES on the 7751 (unused)' },
  aes192CyclesPerBlock: { value: 52, unit: 'cycles/16 B', source: 'no AES on the 7751 (unused)' },
  aes256CyclesPerBlock: { value: 60, unit: 'cycles/16 B', source: 'no AES on the 7751 (unused)' },
  opSetupCycles: { value: 150, unit: 'cycles', source: 'estimate (command parse, key and IV load, result assembly: 1.8 us), checked against Miltchev et al. 2002: the overhead of a 40-byte 3DES+HMAC-SHA1 request (its latency minus the engine\'s crypto) is 11.9 us, 1.2x the same work in software on a ~1 GHz host of 2002 (9.9 us)' },
  dmaBurstBytes: { value: 256, unit: 'bytes', source: est('the chip gives the bus back every 256 bytes (a FIFO-sized transfer; within the 168-clock latency timer CardBus sets, 672 bytes on a 32-bit bus)') },
});

const T7951 = defineTiming<HifnTimingKey>({
  ...COMMON,
  coreHz: { value: 82_500_000, unit: 'Hz', source: 'calibrated: the 7951 is a slow part like the 7751 (hifn7751var.h: "slower parts (e.g. 7951)"); same clock assumed' },
  pkClockDivisor: { value: 2, unit: 'ratio', source: est('PK clock = core / 2, as on the 795x') },
  aes128CyclesPerBlock: { value: 44, unit: 'cycles/16 B', source: 'no AES on the 7951 (unused)' },
  aes192CyclesPerBlock: { value: 52, unit: 'cycles/16 B', source: 'no AES on the 7951 (unused)' },
  aes256CyclesPerBlock: { value: 60, unit: 'cycles/16 B', source: 'no AES on the 7951 (unused)' },
  opSetupCycles: { value: 150, unit: 'cycles', source: 'calibrated as the 7751 (same core assumed)' },
  dmaBurstBytes: { value: 256, unit: 'bytes', source: est('as the 7751') },
});

const T795X = defineTiming<HifnTimingKey>({
  ...COMMON,
  coreHz: { value: 264_000_000, unit: 'Hz', source: 'hw.md §2.9: hifn_getpllconfig targets 266 MHz; the default ext66 gives 4 x 66 = 264 MHz (the model derives it from the PLL register)' },
  pkClockDivisor: { value: 2, unit: 'ratio', source: 'Linux hifn_795x.c: "Fpk_clk runs at half the total speed"' },
  aes128CyclesPerBlock: { value: 44, unit: 'cycles/16 B', source: est('a 32-bit column datapath: 4 clocks per round, 10 rounds, 4 clocks of key addition and I/O') },
  aes192CyclesPerBlock: { value: 52, unit: 'cycles/16 B', source: est('as AES-128 with 12 rounds') },
  aes256CyclesPerBlock: { value: 60, unit: 'cycles/16 B', source: est('as AES-128 with 14 rounds') },
  opSetupCycles: { value: 480, unit: 'cycles', source: 'estimate: the 7751\'s 1.8 us of setup at the faster clock; the 40-byte overhead (Miltchev et al. 2002) is then 11.9 us, as on the 7751' },
  dmaBurstBytes: { value: 512, unit: 'bytes', source: est('twice the 7751 transfer; DMA_CNFG2 initiator burst code 3, the driver\'s setting, read as 2^(3+6) bytes') },
});

export const HIFN_TIMING: Readonly<Record<HifnPartName, HifnTiming>> = { '7751': T7751, '7951': T7951, '7955': T795X, '7956': T795X };

/** Cycles of one crypto-engine block of the cipher `masks` select, and its block size. */
export function cipherCost(T: HifnTiming, masks: number): { cycles: number; block: number } {
  switch (masks & HIFN_CRYPT_CMD_ALG_MASK) {
    case HIFN_CRYPT_CMD_ALG_DES:
      return { cycles: T.desCyclesPerBlock.value, block: 8 };
    case HIFN_CRYPT_CMD_ALG_3DES:
      return { cycles: T.tdesCyclesPerBlock.value, block: 8 };
    case HIFN_CRYPT_CMD_ALG_RC4:
      return { cycles: T.rc4CyclesPerByte.value, block: 1 };
    case HIFN_CRYPT_CMD_ALG_AES: {
      const ksz = masks & HIFN_CRYPT_CMD_KSZ_MASK;
      const c = ksz === HIFN_CRYPT_CMD_KSZ_256 ? T.aes256CyclesPerBlock : ksz === HIFN_CRYPT_CMD_KSZ_192 ? T.aes192CyclesPerBlock : T.aes128CyclesPerBlock;
      return { cycles: c.value, block: 16 };
    }
    default:
      return { cycles: 0, block: 1 };
  }
}

/**
 * Engine cycles of one command: setup, then the cipher and the MAC units side by side (the chip
 * authenticates and encrypts in one pass), so the slower of the two decides.
 */
export function hifnEngineCycles(T: HifnTiming, cmd: HifnCommand): number {
  let cipher = 0;
  let mac = 0;
  if (cmd.baseMasks & HIFN_BASE_CMD_CRYPT && cmd.crypt) {
    const { cycles, block } = cipherCost(T, cmd.crypt.masks);
    cipher = Math.ceil(cmd.crypt.sourceCount / block) * cycles;
    if ((cmd.crypt.masks & HIFN_CRYPT_CMD_ALG_MASK) === HIFN_CRYPT_CMD_ALG_RC4) cipher += T.rc4KeySetupCycles.value;
  }
  if (cmd.baseMasks & HIFN_BASE_CMD_MAC && cmd.mac) {
    const perBlock = (cmd.mac.masks & HIFN_MAC_CMD_ALG_MASK) === HIFN_MAC_CMD_ALG_MD5 ? T.md5CyclesPerBlock.value : T.sha1CyclesPerBlock.value;
    // Padding adds 9 bytes (0x80 and the 64-bit length) before rounding up to whole blocks.
    let blocks = Math.ceil((cmd.mac.sourceCount + 9) / 64);
    if ((cmd.mac.masks & HIFN_MAC_CMD_MODE_MASK) !== HIFN_MAC_CMD_MODE_HASH) blocks += T.hmacExtraBlocks.value;
    mac = blocks * perBlock;
  }
  return T.opSetupCycles.value + Math.max(cipher, mac);
}

/** PK-clock cycles of a modular exponentiation: `k` modulus words, `expBits` exponent bits. */
export function hifnModexpCycles(T: HifnTiming, k: number, expBits: number): number {
  const modmul = T.pkModmulSetupCycles.value + k * k * T.pkWordMulCycles.value;
  return T.pkOpSetupCycles.value + Math.ceil(Math.max(1, expBits) * T.pkMultsPerExpBit.value) * modmul;
}
