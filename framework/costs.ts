/**
 * What the framework's own code costs in host CPU cycles, per host profile. Every entry point
 * charges its cost to the running simulated thread, so CPU utilisation shows the framework's
 * overhead next to the drivers' and the consumers'.
 *
 * Sources: no published per-call figures exist for FreeBSD 10's crypto.c. The defaults are
 * estimates from the code paths (a mutex pair, a TAILQ operation, a few dozen loads and
 * stores, about 150-400 cycles on a 2015 x86 core at 2.4 GHz), marked "estimate" below;
 * the interrupt/ithread and copy costs live with the substrate.
 */
export interface FrameworkCosts {
  /** crypto_dispatch up to the driver call or the queue insert. */
  dispatch: number;
  /** crypto_invoke's own work before PROCESS. */
  invoke: number;
  /** crypto_done, including the return-queue insert. */
  done: number;
  /** One crypto_proc loop iteration (queue scan, locks). */
  procLoop: number;
  /** Extra per queued request looked at during the scan. */
  procScanPerEntry: number;
  /** crypto_ret_proc around one callback. */
  retLoop: number;
  /** crypto_newsession / crypto_freesession without the driver's part. */
  newsession: number;
  freesession: number;
  /** crypto_getreq / crypto_freereq (UMA allocation). */
  getreq: number;
  freereq: number;
  /** crypto_kdispatch / crypto_kdone. */
  kdispatch: number;
  kdone: number;
}

/** A 2.4 GHz amd64 server of about 2015 running FreeBSD 10/11 (all entries: estimate). */
export const AMD64_2015_COSTS: FrameworkCosts = {
  dispatch: 300,
  invoke: 120,
  done: 250,
  procLoop: 200,
  procScanPerEntry: 15,
  retLoop: 250,
  newsession: 600,
  freesession: 400,
  getreq: 250,
  freereq: 150,
  kdispatch: 300,
  kdone: 250,
};

/**
 * A 2.4 GHz Pentium 4 (Northwood) of about 2003 running FreeBSD 5/6-era code paths: the same code
 * as above, but the P4's long pipeline makes mutexes (locked instructions, ~100+ cycles each) and
 * branchy queue code dearer. Every entry: estimate, about 1.5x the amd64-2015 figure.
 */
export const PENTIUM4_2003_COSTS: FrameworkCosts = Object.fromEntries(
  Object.entries(AMD64_2015_COSTS).map(([k, v]) => [k, Math.round(v * 1.5)]),
) as unknown as FrameworkCosts;
