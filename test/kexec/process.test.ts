/**
 * kexec/process: private directories (0700, owner file, TMPDIR checks), the cleanup of runs that
 * were killed, the parent-death signal that takes QEMU down with a SIGKILLed lusim, and the
 * interrupt path (first SIGTERM kills the QEMU groups and lets the run report; exit 143).
 * Hermetic: `sleep` stands in for QEMU.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConsoleStream } from '../../kexec/qemu/console.js';
import { watchForPanic } from '../../kexec/guest/guest-panic.js';
import { withParentDeathSignal } from '../../kexec/process/pdeathsig.js';
import { cleanStaleDirs, makePrivateDir, removePrivateDir } from '../../kexec/process/private-dir.js';

const base = mkdtempSync(join(tmpdir(), 'lusim-test-process-'));
const savedTmp = process.env.TMPDIR;
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const waitFor = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
};

describe('private directories', () => {
  it('are 0700 whatever the umask, and name their owner', () => {
    process.env.TMPDIR = base;
    const old = process.umask(0);
    try {
      const d = makePrivateDir('lusim-qemu-');
      expect(statSync(d).mode & 0o777).toBe(0o700);
      expect(readFileSync(join(d, '.lusim-owner'), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+\\n$`));
      removePrivateDir(d);
      expect(existsSync(d)).toBe(false);
    } finally {
      process.umask(old);
    }
  });
  it('a TMPDIR with a comma is refused before QEMU sees it; a missing one is one line naming it', () => {
    process.env.TMPDIR = join(base, 'a,b');
    expect(() => makePrivateDir('lusim-agent-')).toThrow(/contains a comma, which QEMU's option parser would split; set TMPDIR/);
    process.env.TMPDIR = join(base, 'missing');
    expect(() => makePrivateDir('lusim-agent-')).toThrow(`cannot create a temporary directory in ${join(base, 'missing')}: it does not exist; free space there or set TMPDIR to another directory.`);
  });
  it('the next run removes directories of dead runs only', () => {
    const dead = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
    const mk = (name: string, owner?: string) => {
      const d = join(base, name);
      mkdirSync(d);
      if (owner !== undefined) writeFileSync(join(d, '.lusim-owner'), `${owner}\n`);
      return d;
    };
    const stale = mk('lusim-agent-dead01', `${dead} 12345`);
    const reused = mk('lusim-qemu-reused', `${process.pid} 1`); // our pid, another start time: a dead run
    process.env.TMPDIR = base;
    const mine = makePrivateDir('lusim-qemu-');
    const foreign = mk('lusim-qemu-noowner');
    expect(cleanStaleDirs(base).sort()).toEqual([reused, stale].sort());
    expect([existsSync(mine), existsSync(foreign)]).toEqual([true, true]);
    removePrivateDir(mine);
  });
});

describe('parent-death signal', () => {
  it('a child started through it dies when its parent is SIGKILLed', async () => {
    const cmd = withParentDeathSignal('sleep', ['60']);
    expect(cmd.guarded).toBe(true);
    // The parent stands in for lusim: it starts the guarded child detached, prints its pid, waits.
    const parent = spawn(process.execPath, ['-e', `const c = require('child_process').spawn(${JSON.stringify(cmd.command)}, ${JSON.stringify(cmd.args)}, { detached: true, stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((r) => parent.stdout.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitFor(() => !alive(pid) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z'))).toBe(true);
  });
  it('a missing binary is not hidden behind setpriv (spawn still fails with ENOENT)', () => {
    expect(withParentDeathSignal('no-such-qemu-binary', []).command).toBe('no-such-qemu-binary');
  });
});

describe('guest panic watch', () => {
  it('resolves on "Kernel panic - not syncing" with the lines after it; ignores ordinary lines', async () => {
    const c = new ConsoleStream();
    const w = watchForPanic(c);
    c.push('[    1.0] e1000e: Intel(R) PRO/1000 Network Driver\n[    1.2] Kernel panic - not syncing: VFS: Unable to mount root fs\n[    1.2] CPU: 0 PID: 1 Comm: swapper\n');
    const p = await w.panicked;
    expect(p.lines).toEqual(['[    1.2] Kernel panic - not syncing: VFS: Unable to mount root fs', '[    1.2] CPU: 0 PID: 1 Comm: swapper']);
  });
  it('sees Oops and BUG lines as the kernel prints them', () => {
    for (const line of ['[    2.1] Oops: general protection fault, probably for non-canonical address', '[    3.3] kernel BUG at mm/slub.c:435!', '[    4.4] BUG: unable to handle page fault for address: ffff']) {
      const c = new ConsoleStream();
      const w = watchForPanic(c);
      c.push(`${line}\n`);
      expect(w.seen()).toEqual([line]);
      w.stop();
    }
  });
});
