#!/usr/bin/env node
/**
 * `npm run build` (and `prepack`, so `npm pack` and `npm publish` ship it; a dev checkout runs the
 * sources through tsx until it is built): compile the
 * four layers to dist/ with tsconfig.build.json, then copy the files the compiled code reads beside
 * itself (the guest agent, the guest module's C source, the fixtures), and stamp the build so
 * bin/lusim.js can tell a fresh dist/ from a stale one in a dev checkout.
 * Plain JavaScript: it must run before anything is compiled.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
/** Non-TypeScript files read relative to their module's own directory (import.meta.url). */
const ASSETS = ['kexec/agent', 'kexec/guest-module/Kbuild', 'kexec/guest-module/lusim_pci.c', 'fixtures'];

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const res = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (res.status !== 0) {
  console.error(`lusim build: tsc failed (exit ${res.status ?? res.signal})`);
  process.exit(1);
}
for (const a of ASSETS) {
  mkdirSync(dirname(join(dist, a)), { recursive: true });
  cpSync(join(root, a), join(dist, a), { recursive: true });
}
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`, { mode: 0o644 });
