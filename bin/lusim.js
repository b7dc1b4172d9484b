#!/usr/bin/env node
/**
 * `lusim`: runs the CLI in this very process (a signal to `lusim` reaches the code doing the work,
 * and its exit code is the command's). An installed package runs the compiled dist/cli/main.js. A dev
 * checkout (sources beside bin/) runs dist/ when it is newer than every source file, and otherwise
 * loads the TypeScript in-process through tsx's module hook, so an edit never runs stale code.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.built');
const source = join(root, 'cli', 'main.ts');
const LAYERS = ['devices', 'sim', 'kexec', 'cli'];

/** Newest modification time of the sources under the layer folders (about 300 stats, a few ms). */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const l of LAYERS) walk(join(root, l));
  return newest;
}

function distIsFresh() {
  if (!existsSync(stamp)) return false;
  if (!existsSync(source)) return true; // installed package: no sources to be stale against
  return statSync(stamp).mtimeMs >= newestSource();
}

if (distIsFresh() && process.env.LUSIM_FROM_SOURCE !== '1') {
  await import(pathToFileURL(join(root, 'dist', 'cli', 'main.js')).href);
} else if (existsSync(source)) {
  // A checkout before `npm ci` has no tsx: say so in one line rather than Node's resolver trace.
  const tsx = await import('tsx/esm/api').catch(() => null);
  if (!tsx) {
    process.stderr.write('lusim: this checkout has no node_modules (tsx is missing); run npm ci in ' + root + ' first.\n');
    process.exit(1);
  }
  tsx.register();
  await import(pathToFileURL(source).href);
} else {
  process.stderr.write('lusim: this installation has neither dist/ nor its TypeScript sources; reinstall the package (npm install -g lusim) or run npm run build in a checkout.\n');
  process.exit(1);
}
