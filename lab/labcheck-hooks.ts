/**
 * Module resolution hooks for `ocfsim lab check` when it runs compiled (from dist/): a student's
 * driver.ts imports the project's sources by relative path (`../../devices/edu/regs.js`), which
 * tsx would compile again from the .ts files. Those would be second copies of every module, with
 * their own classes, so `instanceof` checks across them would fail (a Resource from one copy is
 * not a Resource to the other). These hooks send such imports to the compiled module in dist/
 * that the grader itself runs, so the driver and the machine share one copy of everything.
 *
 * Registered with node:module's `register` (labcheck-load.ts), after tsx's own hooks.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { relative, join, sep } from 'node:path';

interface HookData {
  root: string;
  dist: string;
}

let data: HookData | null = null;

export function initialize(d: HookData): void {
  data = d;
}

type Next = (specifier: string, context: unknown) => Promise<{ url: string; format?: string | null; shortCircuit?: boolean }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string; format?: string | null; shortCircuit?: boolean }> {
  const r = await next(specifier, context);
  if (!data || !r.url.startsWith('file:')) return r;
  const file = fileURLToPath(r.url);
  const rel = relative(data.root, file);
  if (rel.startsWith('..') || !/\.(ts|js)$/.test(rel)) return r;
  const top = rel.split(sep)[0];
  if (!['sim', 'framework', 'devices', 'lab'].includes(top ?? '') && rel !== 'index.ts') return r;
  const compiled = join(data.dist, rel.replace(/\.ts$/, '.js'));
  return existsSync(compiled) ? { url: pathToFileURL(compiled).href, format: 'module', shortCircuit: true } : r;
}
