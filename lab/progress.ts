/**
 * The progress bar `ocfsim run` draws on stderr while a scenario runs: how much simulated time has
 * passed and how long the host has taken. Off when stderr is not a terminal or with --quiet.
 * It reads the host clock, which is fine: it is outside the simulation and changes nothing in it.
 *
 * @example
 *   const bar = ProgressBar.forStderr({ quiet: false, label: 'hot-eject-during-ipsec' });
 *   await runScenario(s, { onProgress: (p) => bar?.update(p) });
 *   bar?.done();
 */
import { formatTime } from './scenario-time.js';

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = -Infinity;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
  ) {}

  /** A bar on process.stderr, or null when it must not be drawn. */
  static forStderr(o: { quiet: boolean; label: string }): ProgressBar | null {
    if (o.quiet || !process.stderr.isTTY) return null;
    return new ProgressBar(process.stderr, o.label);
  }

  update(p: { nowPs: number; endPs: number; draining: boolean }): void {
    const host = performance.now();
    if (host - this.lastDraw < 100) return;
    this.lastDraw = host;
    const frac = p.endPs > 0 ? Math.min(1, Math.max(0, p.nowPs / p.endPs)) : 1;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 60));
    const full = Math.round(frac * width);
    const bar = `${'#'.repeat(full)}${'-'.repeat(width - full)}`;
    const what = p.draining ? `draining at ${formatTime(p.nowPs)}` : `${formatTime(p.nowPs)} of ${formatTime(p.endPs)}`;
    this.stream.write(`\r\x1b[K${this.label} [${bar}] ${what} simulated, ${((host - this.started) / 1000).toFixed(1)} s`);
  }

  /** Erase the bar. */
  done(): void {
    this.stream.write('\r\x1b[K');
  }
}
