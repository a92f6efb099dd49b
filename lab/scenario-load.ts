/**
 * Finds and loads scenario modules: by name from the scenarios folder next to this module (in a
 * build, dist/scenarios/NAME.js; in the source tree, scenarios/NAME.ts), or by path. A path to a
 * .ts file is compiled on the fly with tsx.
 *
 * @example
 *   const s = await loadScenario('hot-eject-during-ipsec');
 *   const mine = await loadScenario('./my-scenarios/overload.ts');
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defineScenario, type Scenario, type ScenarioSpec } from './scenario.js';

/** The folder shipped scenarios are loaded from. */
export const SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

const isPath = (ref: string): boolean => /[\\/]/.test(ref) || /\.(m?js|ts)$/.test(ref);

/** Names of the shipped scenarios, sorted. */
export function listScenarios(): string[] {
  if (!existsSync(SCENARIO_DIR)) return [];
  const names = new Set<string>();
  for (const f of readdirSync(SCENARIO_DIR)) {
    if (f.endsWith('.d.ts')) continue;
    const m = /^(.*)\.(js|ts)$/.exec(f);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}

/** The file a scenario reference names. Throws with the list of known names when there is none. */
export function scenarioFile(ref: string): string {
  if (isPath(ref)) {
    const p = resolve(ref);
    if (!existsSync(p)) throw new Error(`no scenario file ${p}`);
    return p;
  }
  for (const ext of ['.js', '.ts']) {
    const p = resolve(SCENARIO_DIR, `${ref}${ext}`);
    if (existsSync(p)) return p;
  }
  const known = listScenarios();
  throw new Error(`no scenario called "${ref}" (known: ${known.length ? known.join(', ') : 'none found in ' + SCENARIO_DIR}); or give a path to a scenario file`);
}

/** Load a scenario by name or path. */
export async function loadScenario(ref: string): Promise<Scenario> {
  const file = scenarioFile(ref);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    // Plain Node cannot load TypeScript; tsx (a dependency) compiles it on the fly.
    if (!file.endsWith('.ts') || (e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
    const { tsImport } = await import('tsx/esm/api');
    mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown };
  }
  let d = mod.default as Scenario | ScenarioSpec | { default?: unknown } | undefined;
  // A .ts file outside an ESM package is compiled as CommonJS: its default export is one level down.
  if (d && typeof d === 'object' && !('workloads' in d) && 'default' in d) d = d.default as Scenario | ScenarioSpec | undefined;
  if (!d || typeof d !== 'object' || !('workloads' in d)) {
    throw new Error(`${file}: the default export is not a scenario (write \`export default defineScenario({ ... })\`)`);
  }
  const s = 'durationPs' in d ? d : defineScenario(d);
  return s.name ? s : { ...s, name: basename(file, extname(file)) };
}
