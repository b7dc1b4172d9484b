/**
 * Fault injection on the real cycle (issue 13): run `lusim cycle --qemu` through bin/lusim.js and
 * break it on purpose, then count what it left behind. Each scenario gets its own TMPDIR, so its
 * leftovers are exactly that directory's entries, and its orphans exactly the processes whose
 * command line names it (QEMU's socket paths are under TMPDIR).
 *
 *   npx tsx scripts/fault-inject.ts [scenario ...]     (default: all; boots one guest at a time)
 *
 * Scenarios: sigint, sigterm (at boot: exit 130/143, partial report with code "interrupted"),
 * kill-lusim (SIGKILL of lusim: QEMU must die with it; its directories are removed by the next
 * run), kill-qemu-boot, kill-qemu-kexec (qemu-exited with the signal), corrupt-kernel (a truncated
 * vmlinuz in a copy of the cache), full-disk (TMPDIR on a full 256 KiB tmpfs; needs root).
 * Prints one line per scenario and `N scenarios, N orphans, N leaked files`; exit 1 on any.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireKernel, verifyKernel } from '../kexec/kernels/kernels.js';
import { cleanStaleDirs } from '../kexec/process/private-dir.js';

interface Outcome {
  scenario: string;
  exit: string;
  reportCode: string;
  orphans: number[];
  leaked: string[];
  note: string;
}

const CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'));
const ARGS = ['cycle', '--qemu', 'e1000e', '--from', '6.12', '--to', '6.1', '--no-fetch', '--boot-timeout', '120'];

/** Processes whose command line mentions `needle` (QEMU's socket paths hold the scenario's TMPDIR). */
function processesNaming(needle: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      const state = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.[0];
      if (cmd.includes(needle) && state !== 'Z' && Number(p) !== process.pid) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function qemuOf(tmp: string): number | undefined {
  return processesNaming(tmp).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('qemu-system'));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Plan {
  /** When to strike: once QEMU runs ('boot') or once kernel A's agent answered ('kexec'). */
  at?: 'boot' | 'kexec';
  strike?: (lusim: number, qemu: number) => void;
  env?: Record<string, string>;
  tmp?: string;
  afterwards?: (tmp: string) => string;
}

async function scenario(name: string, plan: Plan): Promise<Outcome> {
  const tmp = plan.tmp ?? mkdtempSync(join(tmpdir(), `lusim-fi-${name}-`));
  const out = join(mkdtempSync(join(tmpdir(), 'lusim-fi-out-')), 'report.json');
  const child = spawn(process.execPath, ['bin/lusim.js', ...ARGS, '--out', out], { env: { ...process.env, TMPDIR: tmp, ...plan.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<string>((r) => child.once('exit', (code, sig) => r(sig ?? String(code))));
  let done = false;
  void exited.then(() => (done = true));
  if (plan.strike) {
    const deadline = Date.now() + 240_000;
    for (;;) {
      const q = qemuOf(tmp);
      const ready = plan.at === 'kexec' ? /kernel A \S+ is up/.test(stderr) : q !== undefined;
      if (q && ready) {
        await sleep(plan.at === 'kexec' ? 1500 : 1000);
        plan.strike(child.pid!, q);
        break;
      }
      if (done || Date.now() > deadline) break;
      await sleep(100);
    }
  }
  const exit = await Promise.race([exited, sleep(300_000).then(() => 'hung')]);
  if (exit === 'hung') child.kill('SIGKILL');
  await sleep(2000); // a parent-death signal and process reaping take a moment
  const note = plan.afterwards?.(tmp) ?? '';
  let reportCode = '(no report)';
  try {
    const r = JSON.parse(readFileSync(out, 'utf8')) as { ok: boolean; error?: { code: string } };
    reportCode = r.ok ? 'ok' : r.error?.code ?? '?';
  } catch {
    // no report written
  }
  const orphans = processesNaming(tmp);
  const leaked = existsSync(tmp) ? readdirSync(tmp).filter((e) => e !== FILL) : [];
  for (const p of orphans) process.kill(p, 'SIGKILL');
  // A given TMPDIR may be a mount point: empty it, its owner removes it.
  if (plan.tmp) for (const e of leaked) rmSync(join(tmp, e), { recursive: true, force: true });
  else rmSync(tmp, { recursive: true, force: true });
  rmSync(join(out, '..'), { recursive: true, force: true });
  return { scenario: name, exit, reportCode, orphans, leaked, note: note || stderr.split('\n').filter((l) => l.startsWith('lusim:')).slice(-1)[0]?.slice(0, 160) || '' };
}

/** A copy of the cache (symlinks) whose 6.12 vmlinuz is cut to 1 MiB. */
function corruptCache(): string {
  const root = mkdtempSync(join(tmpdir(), 'lusim-fi-cache-'));
  const src = join(CACHE, 'lusim');
  // The records a fetch writes (caches older than them get them on first use): made from the good file.
  verifyKernel(requireKernel('6.12', src));
  mkdirSync(join(root, 'lusim'), { recursive: true });
  for (const e of readdirSync(src)) if (e !== 'kernels') symlinkSync(join(src, e), join(root, 'lusim', e));
  mkdirSync(join(root, 'lusim', 'kernels'));
  for (const k of readdirSync(join(src, 'kernels'))) {
    if (!k.startsWith('6.12')) {
      symlinkSync(join(src, 'kernels', k), join(root, 'lusim', 'kernels', k));
      continue;
    }
    // A tree of symlinks (cp -as), then the one file made real and cut short.
    spawnSync('cp', ['-as', join(src, 'kernels', k), join(root, 'lusim', 'kernels', k)]);
    const boot = join(root, 'lusim', 'kernels', k, 'root', 'boot');
    const vmlinuz = join(boot, readdirSync(boot).find((f) => f.startsWith('vmlinuz'))!);
    const bytes = readFileSync(vmlinuz);
    rmSync(vmlinuz);
    writeFileSync(vmlinuz, bytes.subarray(0, Math.min(1 << 20, bytes.length)));
  }
  return root;
}

/** The file that fills the full-disk scenario's tmpfs (not a leak). */
const FILL = 'fill';

function fullTmpfs(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'lusim-fi-full-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]).status !== 0) return undefined;
  try {
    writeFileSync(join(dir, FILL), Buffer.alloc(512 * 1024));
  } catch {
    // ENOSPC: full, as intended
  }
  return dir;
}

const SCENARIOS: Record<string, () => Promise<Outcome | string>> = {
  sigint: () => scenario('sigint', { at: 'boot', strike: (l) => process.kill(l, 'SIGINT') }),
  sigterm: () => scenario('sigterm', { at: 'boot', strike: (l) => process.kill(l, 'SIGTERM') }),
  'kill-lusim': () => scenario('kill-lusim', {
    at: 'boot',
    strike: (l) => process.kill(l, 'SIGKILL'),
    // What the next run does first (kexec/qemu/launcher.ts): remove the dead run's directories.
    afterwards: (tmp) => `the killed run left ${readdirSync(tmp).length} dirs; the next run removed ${cleanStaleDirs(tmp).length}`,
  }),
  'kill-qemu-boot': () => scenario('kill-qemu-boot', { at: 'boot', strike: (_l, q) => process.kill(q, 'SIGKILL') }),
  'kill-qemu-kexec': () => scenario('kill-qemu-kexec', { at: 'kexec', strike: (_l, q) => process.kill(q, 'SIGKILL') }),
  'corrupt-kernel': async () => {
    const cache = corruptCache();
    try {
      return await scenario('corrupt-kernel', { env: { XDG_CACHE_HOME: cache } });
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  },
  'full-disk': async () => {
    const dir = fullTmpfs();
    if (!dir) return 'full-disk: skipped (cannot mount a tmpfs here; needs root)';
    try {
      return await scenario('full-disk', { tmp: dir });
    } finally {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SCENARIOS);
let orphans = 0;
let leaked = 0;
let ran = 0;
for (const name of wanted) {
  const run = SCENARIOS[name];
  if (!run) {
    console.error(`unknown scenario ${name}: use ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
  const t0 = performance.now();
  const o = await run();
  if (typeof o === 'string') {
    console.log(o);
    continue;
  }
  ran++;
  orphans += o.orphans.length;
  leaked += o.leaked.length;
  console.log(`${o.scenario}: exit ${o.exit}, report ${o.reportCode}, ${o.orphans.length} orphans, ${o.leaked.length} leaked${o.leaked.length ? ` (${o.leaked.join(', ')})` : ''}, ${((performance.now() - t0) / 1000).toFixed(0)} s; ${o.note}`);
}
console.log(`${ran} scenarios, ${orphans} orphans, ${leaked} leaked files`);
process.exit(orphans + leaked > 0 ? 1 : 0);
