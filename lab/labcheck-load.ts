/**
 * Loading a student's module by path for `ocfsim lab check <N> <file.ts>`.
 *
 * The installed TypeScript (7, the native compiler) has no JavaScript API, so TypeScript is
 * compiled at load time by tsx's programmatic API (`register` from 'tsx/esm/api', which installs
 * node:module loader hooks for .ts files). Running from source (under tsx or vitest) .ts files load
 * already; running compiled, labcheck-hooks.ts also sends the student's imports of the project's
 * sources to the compiled copies the grader runs (one copy of every class: see that file).
 */
import { existsSync } from 'node:fs';
import { register as registerHooks } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let registered = false;

async function ensureTypeScript(): Promise<void> {
  if (registered) return;
  registered = true;
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.js')) return; // running from source: whoever loaded us loads .ts too
  const { register } = await import('tsx/esm/api');
  register();
  const dist = resolve(dirname(self), '..');
  registerHooks(new URL('./labcheck-hooks.js', import.meta.url), { data: { root: resolve(dist, '..'), dist } });
}

/** Import the module at `path` (TypeScript or JavaScript). */
export async function loadLabModule(path: string): Promise<unknown> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`no such file: ${path}`);
  await ensureTypeScript();
  return import(pathToFileURL(abs).href);
}
