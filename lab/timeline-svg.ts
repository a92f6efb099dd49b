/**
 * An SVG timeline of a scenario run, drawn from its trace: the phases as bands, the timeline's
 * events (eject, insert, attach, rekey) as labelled lines, completed requests per time bin
 * stacked by the driver that served them, EAGAIN completions and session migrations as ticks,
 * and the CPU use of the busiest threads as heat strips. docs/scenarios.md shows the one of
 * hot-eject-during-ipsec; `ocfsim run X --svg out.svg` and `ocfsim trace svg out.json` make others.
 *
 * @example
 *   writeFileSync('timeline.svg', timelineSvg(machine.trace.all, { title: 'hot-eject-during-ipsec, seed 1' }));
 */
import type { TraceEvent } from '../sim/trace.js';

export interface TimelineSvgOptions {
  title?: string;
  /** Time bins for the completion bars and CPU strips (default 120). */
  bins?: number;
  /** CPU strips to draw, busiest first (default 6). */
  threads?: number;
}

const W = 980;
const LEFT = 170;
const RIGHT = 20;
const PLOT = W - LEFT - RIGHT;
const HARDWARE_COLOURS = ['#1f77b4', '#2ca02c', '#9467bd', '#17becf', '#8c564b'];
const SOFTWARE_COLOUR = '#ff7f0e';
const PHASE_FILLS = ['#eef3fb', '#fdf1e6', '#eef8ee', '#f5eef8', '#f8f6e9'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f1 = (v: number): string => v.toFixed(1);

function what(e: TraceEvent): string {
  return String(e.fields?.['what'] ?? '');
}

/** The SVG document. */
export function timelineSvg(events: readonly TraceEvent[], o: TimelineSvgOptions = {}): string {
  const nb = o.bins ?? 120;
  const lab = events.filter((e) => e.kind === 'scenario.event');
  const t0 = lab.find((e) => what(e) === 'run starts')?.t ?? events[0]?.t ?? 0;
  const stop = lab.find((e) => what(e).startsWith('workloads stop'))?.t;
  const t1 = Math.max(t0 + 1, stop ?? events.reduce((m, e) => Math.max(m, e.t + (e.dur ?? 0)), t0));
  const span = t1 - t0;
  const binPs = span / nb;
  const x = (t: number): number => LEFT + ((t - t0) / span) * PLOT;
  const bin = (t: number): number => Math.min(nb - 1, Math.max(0, Math.floor((t - t0) / binPs)));

  // Completions per bin, by the driver the request was last handed to.
  const lastDev = new Map<number, string>();
  const perDriver = new Map<string, number[]>();
  const eagain: number[] = [];
  const migrations: number[] = [];
  const busy = new Map<string, number[]>();
  for (const e of events) {
    if (e.kind === 'crypto.invoke' && e.req !== undefined) lastDev.set(e.req, String(e.fields?.['dev'] ?? '?'));
    else if (e.kind === 'crypto.callback' && e.req !== undefined && e.t >= t0 && e.t < t1) {
      const etype = e.fields?.['etype'];
      if (etype === 'OK') {
        const dev = lastDev.get(e.req) ?? '?';
        if (!perDriver.has(dev)) perDriver.set(dev, new Array<number>(nb).fill(0));
        perDriver.get(dev)![bin(e.t)]!++;
      } else if (etype === 'EAGAIN') eagain.push(e.t);
    } else if (e.kind === 'crypto.migrate' && e.t >= t0 && e.t < t1) migrations.push(e.t);
    else if (e.kind === 'thread.step' && e.dur) {
      let row = busy.get(e.where);
      if (!row) busy.set(e.where, (row = new Array<number>(nb).fill(0)));
      // Spread the step over the bins it covers.
      const a = Math.max(e.t, t0);
      const b = Math.min(e.t + e.dur, t1);
      if (b > a) {
        for (let i = bin(a); i <= bin(b - 1); i++) row[i]! += Math.max(0, Math.min(b, t0 + (i + 1) * binPs) - Math.max(a, t0 + i * binPs));
      }
    }
  }
  const drivers = [...perDriver.keys()].sort();
  const hw = drivers.filter((d) => !d.startsWith('cryptosoft'));
  const colour = (d: string): string => (d.startsWith('cryptosoft') ? SOFTWARE_COLOUR : HARDWARE_COLOURS[hw.indexOf(d) % HARDWARE_COLOURS.length]!);
  const totals = new Array<number>(nb).fill(0);
  for (const d of drivers) perDriver.get(d)!.forEach((n, i) => (totals[i]! += n));
  const peak = Math.max(1, ...totals);
  const threads = [...busy.entries()]
    .map(([name, row]) => ({ name, row, total: row.reduce((p, q) => p + q, 0) }))
    .filter((t) => t.total > 0)
    .sort((p, q) => q.total - p.total)
    .slice(0, o.threads ?? 6);

  const out: string[] = [];
  let y = 0;
  const TITLE = 28;
  const EVENT_ROWS = 3;
  const barsTop = TITLE + 24 + EVENT_ROWS * 14 + 8;
  const BARS_H = 150;
  const tickTop = barsTop + BARS_H + 10;
  const cpuTop = tickTop + 54;
  const height = cpuTop + threads.length * 20 + 50;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${height}" fill="white"/>`);
  out.push(`<text x="${LEFT}" y="18" font-size="14" font-weight="bold">${esc(o.title ?? 'scenario timeline')}</text>`);

  // Phase bands across the whole plot.
  const phases = lab.filter((e) => what(e).startsWith('phase ')).map((e) => ({ name: what(e).slice(6), t: e.t }));
  phases.forEach((p, i) => {
    const end = phases[i + 1]?.t ?? t1;
    if (end <= p.t) return;
    const bw = x(end) - x(p.t);
    out.push(`<rect x="${f1(x(p.t))}" y="${TITLE}" width="${f1(bw)}" height="${height - TITLE - 30}" fill="${PHASE_FILLS[i % PHASE_FILLS.length]}"/>`);
    // A band too narrow for its name gets a smaller one.
    const size = Math.min(11, Math.max(7, (bw - 6) / Math.max(1, p.name.length * 0.62)));
    out.push(`<text x="${f1(x(p.t) + 3)}" y="${TITLE + 14}" font-weight="bold" font-size="${size.toFixed(1)}" fill="#444">${esc(p.name)}</text>`);
  });

  // Timeline events (other than phases and the run's start and end) as labelled lines.
  const marks = lab.filter((e) => !what(e).startsWith('phase ') && what(e) !== 'run starts' && !what(e).startsWith('workloads stop'));
  const rowEnd = new Array<number>(EVENT_ROWS).fill(-Infinity);
  for (const e of marks) {
    const px = x(e.t);
    const label = `${((e.t - t0) / 1e9).toFixed(1)} ms ${what(e)}`;
    const width = label.length * 5.8 + 6;
    // Near the right edge a label goes to the left of its line.
    const left = px + width > W - 4;
    const from = left ? px - width : px;
    let r = rowEnd.findIndex((end) => end < from);
    if (r < 0) r = EVENT_ROWS - 1;
    rowEnd[r] = from + width;
    const ly = TITLE + 30 + r * 14;
    out.push(`<line x1="${f1(px)}" y1="${ly + 2}" x2="${f1(px)}" y2="${cpuTop + threads.length * 20}" stroke="#c0392b" stroke-width="1" stroke-dasharray="3,2"/>`);
    out.push(`<text x="${f1(left ? px - 3 : px + 3)}" y="${ly}" fill="#c0392b"${left ? ' text-anchor="end"' : ''}>${esc(label)}</text>`);
  }

  // Completions per bin, stacked by driver.
  y = barsTop;
  out.push(`<text x="${LEFT - 8}" y="${y + 12}" text-anchor="end" font-weight="bold">completions</text>`);
  out.push(`<text x="${LEFT - 8}" y="${y + 26}" text-anchor="end" fill="#666">per ${(binPs / 1e6).toFixed(0)} µs, by driver</text>`);
  out.push(`<text x="${LEFT - 8}" y="${y + BARS_H}" text-anchor="end" fill="#666">0</text>`);
  out.push(`<text x="${LEFT - 8}" y="${y + 40}" text-anchor="end" fill="#666">max ${peak}</text>`);
  const bw = PLOT / nb;
  for (let i = 0; i < nb; i++) {
    let top = y + BARS_H;
    drivers.forEach((d) => {
      const n = perDriver.get(d)![i]!;
      if (n === 0) return;
      const h = (n / peak) * (BARS_H - 20);
      top -= h;
      out.push(`<rect x="${f1(LEFT + i * bw)}" y="${f1(top)}" width="${f1(Math.max(0.5, bw - 0.5))}" height="${f1(h)}" fill="${colour(d)}"/>`);
    });
  }
  drivers.forEach((d, k) => {
    const lx = LEFT + PLOT - 110 * (drivers.length - k);
    out.push(`<rect x="${lx}" y="${y + 2}" width="10" height="10" fill="${colour(d)}"/><text x="${lx + 14}" y="${y + 11}">${esc(d)}</text>`);
  });

  // EAGAIN and migration ticks.
  y = tickTop;
  out.push(`<text x="${LEFT - 8}" y="${y + 10}" text-anchor="end">EAGAIN completions</text>`);
  for (const t of eagain) out.push(`<line x1="${f1(x(t))}" y1="${y}" x2="${f1(x(t))}" y2="${y + 12}" stroke="#c0392b"/>`);
  out.push(`<text x="${LEFT - 8}" y="${y + 28}" text-anchor="end">session migrations</text>`);
  for (const t of migrations) out.push(`<path d="M ${f1(x(t))} ${y + 18} l 4 6 l -8 0 z" fill="#8e44ad"/>`);

  // CPU heat strips.
  y = cpuTop;
  out.push(`<text x="${LEFT - 8}" y="${y - 6}" text-anchor="end" font-weight="bold">CPU per thread</text>`);
  for (const th of threads) {
    out.push(`<text x="${LEFT - 8}" y="${y + 12}" text-anchor="end">${esc(th.name)}</text>`);
    out.push(`<rect x="${LEFT}" y="${y}" width="${PLOT}" height="16" fill="none" stroke="#ddd"/>`);
    th.row.forEach((ps, i) => {
      const u = Math.min(1, ps / binPs);
      if (u < 0.01) return;
      out.push(`<rect x="${f1(LEFT + i * bw)}" y="${y}" width="${f1(bw)}" height="16" fill="#2c3e50" fill-opacity="${u.toFixed(2)}"/>`);
    });
    y += 20;
  }

  // Time axis.
  y += 6;
  out.push(`<line x1="${LEFT}" y1="${y}" x2="${LEFT + PLOT}" y2="${y}" stroke="#333"/>`);
  const stepMs = niceStep(span / 1e9 / 10);
  for (let ms = 0; ms <= span / 1e9 + 1e-9; ms += stepMs) {
    const px = x(t0 + ms * 1e9);
    out.push(`<line x1="${f1(px)}" y1="${y}" x2="${f1(px)}" y2="${y + 4}" stroke="#333"/><text x="${f1(px)}" y="${y + 16}" text-anchor="middle">${+ms.toFixed(3)} ms</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-6)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
