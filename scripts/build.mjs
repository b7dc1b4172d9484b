#!/usr/bin/env node
/**
 * `npm run build` (and `prepack`, so `npm pack` and `npm publish` ship it; a dev checkout runs the
 * sources through tsx until it is built): compile the
 * four layers to dist/ with tsconfig.build.json, then copy the files the compiled code reads beside
 * itself (the guest agent, the guest module's C source, the fixtures), and stamp the build so
 * bin/lusim.js can tell a fresh dist/ from a stale one in a dev checkout. The new tree is built
 * beside dist/ and swapped in at the end: a campaign running from dist/ reads the guest module's
 * source and loads the real run's modules as it goes, and emptying dist/ first made its later
 * pairs fail (docs/reliability.md).
 * Plain JavaScript: it must run before anything is compiled.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
/** Non-TypeScript files read relative to their module's own directory (import.meta.url). */
const ASSETS = ['kexec/agent', 'kexec/guest-module/Kbuild', 'kexec/guest-module/lusim_pci.c', 'fixtures'];

const next = `${dist}.next-${process.pid}`;
rmSync(next, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const res = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', next], { stdio: 'inherit' });
if (res.status !== 0) {
  rmSync(next, { recursive: true, force: true });
  console.error(`lusim build: tsc failed (exit ${res.status ?? res.signal})`);
  process.exit(1);
}
for (const a of ASSETS) {
  mkdirSync(dirname(join(next, a)), { recursive: true });
  cpSync(join(root, a), join(next, a), { recursive: true });
}
writeFileSync(join(next, '.built'), `${new Date().toISOString()}\n`, { mode: 0o644 });
// Two renames: dist/ is missing for microseconds, not for the whole compile.
const old = `${dist}.old-${process.pid}`;
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
