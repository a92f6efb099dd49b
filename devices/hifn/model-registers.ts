/**
 * The Hifn register maps as data (devices/kit registers.ts): BAR0, the processing-unit group, and
 * BAR1, the DMA / PLL / unlock / public-key group (hw.md §2.3; names and bits from regs.ts). The
 * hooks call back into the model (model.ts), which owns the behaviour.
 *
 * Modelled as the driver uses them; left out (reported by the kit as unmodelled if touched): the
 * 7811's RNG and MIPS registers, PUB_BASE semantics, the RAM-test data path (PUDATA is plain
 * storage), MUTE1/MUTE2.
 */
import type { RegisterFileOptions, RegisterSpec } from '../kit/registers.js';
import {
  HIFN_0_FIFOCNFG,
  HIFN_0_FIFOSTAT,
  HIFN_0_PUCNFG,
  HIFN_0_PUCTRL,
  HIFN_0_PUCTRL2,
  HIFN_0_PUDATA,
  HIFN_0_PUIER,
  HIFN_0_PUISR,
  HIFN_0_PUSTAT,
  HIFN_1_DMA_CNFG,
  HIFN_1_DMA_CNFG2,
  HIFN_1_DMA_CRAR,
  HIFN_1_DMA_CSR,
  HIFN_1_DMA_DRAR,
  HIFN_1_DMA_IER,
  HIFN_1_DMA_RRAR,
  HIFN_1_DMA_SRAR,
  HIFN_1_PLL,
  HIFN_1_PUB_BASE,
  HIFN_1_PUB_FIFO_OP,
  HIFN_1_PUB_FIFO_OPLEN,
  HIFN_1_PUB_IEN,
  HIFN_1_PUB_MEM,
  HIFN_1_PUB_MODE,
  HIFN_1_PUB_OP,
  HIFN_1_PUB_OPLEN,
  HIFN_1_PUB_RESET,
  HIFN_1_PUB_STATUS,
  HIFN_1_REVID,
  HIFN_1_RNG_CONFIG,
  HIFN_1_RNG_DATA,
  HIFN_BAR0_SIZE,
  HIFN_BAR1_SIZE,
  HIFN_PUBSTS_CARRY,
  HIFN_PUBSTS_DONE,
  HIFN_PUBSTS_FIFO_EMPTY,
  HIFN_PUB_MEM_SIZE,
  HIFN_PUCNFG_DRAMMASK,
  HIFN_PUCTRL_RESET,
  HIFN_UNLOCK_SECRET1,
  HIFN_UNLOCK_SECRET2,
} from './regs.js';
import type { HifnModel } from './model.js';

export type HifnRegName =
  | 'HIFN_0_PUDATA' | 'HIFN_0_PUCTRL' | 'HIFN_0_PUISR' | 'HIFN_0_PUCNFG' | 'HIFN_0_PUIER' | 'HIFN_0_PUSTAT'
  | 'HIFN_0_FIFOSTAT' | 'HIFN_0_FIFOCNFG' | 'HIFN_0_PUCTRL2'
  | 'HIFN_1_DMA_CRAR' | 'HIFN_1_DMA_SRAR' | 'HIFN_1_DMA_RRAR' | 'HIFN_1_DMA_DRAR' | 'HIFN_1_DMA_CSR' | 'HIFN_1_DMA_IER'
  | 'HIFN_1_DMA_CNFG' | 'HIFN_1_PLL' | 'HIFN_1_DMA_CNFG2' | 'HIFN_1_REVID' | 'HIFN_UNLOCK_SECRET1' | 'HIFN_UNLOCK_SECRET2'
  | 'HIFN_1_PUB_RESET' | 'HIFN_1_PUB_BASE' | 'HIFN_1_PUB_OPLEN' | 'HIFN_1_PUB_OP' | 'HIFN_1_PUB_STATUS' | 'HIFN_1_PUB_IEN'
  | 'HIFN_1_RNG_CONFIG' | 'HIFN_1_RNG_DATA' | 'HIFN_1_PUB_MODE' | 'HIFN_1_PUB_FIFO_OPLEN' | 'HIFN_1_PUB_FIFO_OP';

type Spec = RegisterSpec<HifnRegName>;
type FileOptions = Omit<RegisterFileOptions<HifnRegName>, 'trace' | 'device'>;

/** PUCTRL / PUCTRL2: a write resets the PU on the part that resets through that register. */
function puctrl(m: HifnModel, name: 'HIFN_0_PUCTRL' | 'HIFN_0_PUCTRL2', offset: number, resets: boolean): Spec {
  return {
    name, offset, doc: resets ? 'a write resets the processing unit; RESET reads 1 until it is done' : 'stores only on this part',
    fields: [
      { name: 'CTRL', mask: 0x1e, access: 'rw', doc: 'CLRSRCFIFO, STOP, LOCKRAM, DMAENA' },
      { name: 'RESET', mask: HIFN_PUCTRL_RESET, access: 'ro', doc: 'set by the chip while the PU resets' },
    ],
    onWrite: (e) => resets && m.puReset(name, e.t),
  };
}

export function hifnBar0(m: HifnModel): FileOptions {
  const p = m.part;
  const regs: Spec[] = [
    { name: 'HIFN_0_PUDATA', offset: HIFN_0_PUDATA },
    puctrl(m, 'HIFN_0_PUCTRL', HIFN_0_PUCTRL, !p.is795x),
    { name: 'HIFN_0_PUISR', offset: HIFN_0_PUISR, fields: [{ name: 'STATUS', mask: 0xf2f4, access: 'w1c' }] },
    {
      name: 'HIFN_0_PUCNFG', offset: HIFN_0_PUCNFG, reset: p.pucnfgRamSize,
      fields: [{ name: 'DSZ', mask: HIFN_PUCNFG_DRAMMASK, access: 'ro', doc: 'strapped by the board' }, { name: 'CNFG', mask: 0x1ffe, access: 'rw' }],
    },
    { name: 'HIFN_0_PUIER', offset: HIFN_0_PUIER, doc: 'PU interrupts are not wired to the line in the model' },
    { name: 'HIFN_0_PUSTAT', offset: HIFN_0_PUSTAT, access: 'ro', onRead: (e) => m.readPustat(e.reg.value), doc: 'enable level while PUCNFG.CHIPID' },
    { name: 'HIFN_0_FIFOSTAT', offset: HIFN_0_FIFOSTAT, access: 'ro', reset: 0x4040, doc: 'always reports space' },
    { name: 'HIFN_0_FIFOCNFG', offset: HIFN_0_FIFOCNFG },
  ];
  if (p.is795x) regs.push(puctrl(m, 'HIFN_0_PUCTRL2', HIFN_0_PUCTRL2, true));
  return { name: 'BAR0 (PU)', size: HIFN_BAR0_SIZE, registers: regs };
}

export function hifnBar1(m: HifnModel): FileOptions {
  const p = m.part;
  const ringBase = (name: HifnRegName, offset: number, ring: 'cmd' | 'src' | 'res' | 'dst'): Spec => ({
    name, offset, doc: `${ring} ring base (physical)`, onWrite: (e) => m.ringBase(ring, e.value),
  });
  const regs: Spec[] = [
    ringBase('HIFN_1_DMA_CRAR', HIFN_1_DMA_CRAR, 'cmd'),
    ringBase('HIFN_1_DMA_SRAR', HIFN_1_DMA_SRAR, 'src'),
    ringBase('HIFN_1_DMA_RRAR', HIFN_1_DMA_RRAR, 'res'),
    ringBase('HIFN_1_DMA_DRAR', HIFN_1_DMA_DRAR, 'dst'),
    {
      name: 'HIFN_1_DMA_CSR', offset: HIFN_1_DMA_CSR,
      fields: [
        { name: 'D_CTRL', mask: 0xc0000000, access: 'pulse' },
        { name: 'D_STATUS', mask: 0x3e000000, access: 'w1c', doc: 'ABORT DONE LAST WAIT OVER' },
        { name: 'R_CTRL', mask: 0x00c00000, access: 'pulse' },
        { name: 'R_STATUS', mask: 0x003e0000, access: 'w1c', doc: 'ABORT DONE LAST WAIT OVER' },
        { name: 'S_CTRL', mask: 0x0000c000, access: 'pulse' },
        { name: 'S_STATUS', mask: 0x00003c00, access: 'w1c', doc: 'ABORT DONE LAST WAIT' },
        { name: 'C_CTRL', mask: 0x000000c0, access: 'pulse' },
        { name: 'C_STATUS', mask: 0x0000003f, access: 'w1c', doc: 'ABORT DONE LAST WAIT PUBDONE ENGINE' },
      ],
      onWrite: (e) => m.csrWritten(e.written, e.t),
    },
    { name: 'HIFN_1_DMA_IER', offset: HIFN_1_DMA_IER, onWrite: () => m.updateIrq() },
    { name: 'HIFN_1_DMA_CNFG', offset: HIFN_1_DMA_CNFG, doc: 'MSTRESET/DMARESET are active low: 0 at power-up', onWrite: (e) => m.cnfgWritten(e.old, e.value, e.t) },
    { name: 'HIFN_1_DMA_CNFG2', offset: HIFN_1_DMA_CNFG2, doc: '795x burst sizes (the driver writes it on every non-7811 part); stored only' },
    { name: 'HIFN_1_REVID', offset: HIFN_1_REVID, access: 'ro', reset: ((p.hasPublic && !p.is795x ? 0x7951 << 16 : 0) | p.revision) >>> 0 },
    { name: 'HIFN_UNLOCK_SECRET1', offset: HIFN_UNLOCK_SECRET1, access: 'ro', onRead: () => m.readSecret1() },
    { name: 'HIFN_UNLOCK_SECRET2', offset: HIFN_UNLOCK_SECRET2, access: 'wo', onWrite: (e) => m.secret2Written(e.written, e.t) },
  ];
  if (p.is795x) regs.push({ name: 'HIFN_1_PLL', offset: HIFN_1_PLL, onWrite: (e) => m.pllWritten(e.value) });
  const regions = [];
  if (p.hasPublic) {
    regs.push(
      { name: 'HIFN_1_PUB_RESET', offset: HIFN_1_PUB_RESET, fields: [{ name: 'RESET', mask: 1, access: 'sc' }], onWrite: (e) => e.written & 1 && m.pubReset(e.t) },
      { name: 'HIFN_1_PUB_BASE', offset: HIFN_1_PUB_BASE },
      { name: 'HIFN_1_PUB_OPLEN', offset: HIFN_1_PUB_OPLEN },
      { name: 'HIFN_1_PUB_OP', offset: HIFN_1_PUB_OP, onWrite: (e) => m.pubOp(m.bar1.get('HIFN_1_PUB_OPLEN'), e.value, e.t) },
      {
        name: 'HIFN_1_PUB_STATUS', offset: HIFN_1_PUB_STATUS,
        fields: [{ name: 'DONE', mask: HIFN_PUBSTS_DONE, access: 'w1c' }, { name: 'CARRY', mask: HIFN_PUBSTS_CARRY, access: 'ro' }, { name: 'FIFO_EMPTY', mask: HIFN_PUBSTS_FIFO_EMPTY, access: 'ro' }],
        onRead: (e) => (e.reg.value | (m.pk?.busy ? 0 : HIFN_PUBSTS_FIFO_EMPTY)) >>> 0,
      },
      { name: 'HIFN_1_PUB_IEN', offset: HIFN_1_PUB_IEN },
      { name: 'HIFN_1_RNG_CONFIG', offset: HIFN_1_RNG_CONFIG },
      { name: 'HIFN_1_RNG_DATA', offset: HIFN_1_RNG_DATA, access: 'ro', onRead: () => m.readRng() },
      { name: 'HIFN_1_PUB_MODE', offset: HIFN_1_PUB_MODE },
      { name: 'HIFN_1_PUB_FIFO_OPLEN', offset: HIFN_1_PUB_FIFO_OPLEN },
      { name: 'HIFN_1_PUB_FIFO_OP', offset: HIFN_1_PUB_FIFO_OP, onWrite: (e) => m.pubOp(m.bar1.get('HIFN_1_PUB_FIFO_OPLEN'), e.value, e.t) },
    );
    regions.push({ name: 'PUB_MEM', offset: HIFN_1_PUB_MEM, size: HIFN_PUB_MEM_SIZE, doc: 'public-key operand memory' });
  }
  return { name: 'BAR1 (DMA/PK)', size: HIFN_BAR1_SIZE, registers: regs, regions };
}
