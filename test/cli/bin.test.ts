/**
 * bin/lusim.js is the process that does the work (issue 13): it imports the CLI in-process (dist/
 * when built and fresh, the TypeScript through tsx's hook otherwise) and never spawns a child, so
 * a signal to `lusim` reaches the run itself and the exit status is the command's own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = 'bin/lusim.js';

function bin(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('bin/lusim.js', () => {
  it('starts no child process (the regression: spawnSync of tsx left the real run going after a kill)', () => {
    expect(readFileSync(BIN, 'utf8')).not.toMatch(/child_process/);
  });
  it('runs the sources in-process in a dev checkout: version, and the exit status of a usage error', () => {
    const v = bin(['--version'], { LUSIM_FROM_SOURCE: '1' });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(bin(['cycle', '--flow', 'nope'], { LUSIM_FROM_SOURCE: '1' }).status).toBe(2);
  });
  it('a usage error commander finds is JSON on stdout with --json (exit 2), and text only without it', () => {
    const json = bin(['cycle', '--no-such-option', '--json'], { LUSIM_FROM_SOURCE: '1' });
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ error: 'UsageError', code: 'commander.unknownOption', message: "unknown option '--no-such-option'" });
    const text = bin(['cycle', '--no-such-option'], { LUSIM_FROM_SOURCE: '1' });
    expect(text.status).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^error: unknown option '--no-such-option'/);
  });
  it('has no child while it works (the old launcher had its tsx child running within 300 ms)', async () => {
    const p = spawn(process.execPath, [BIN, 'kernels', 'list'], { env: { ...process.env, LUSIM_FROM_SOURCE: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise((r) => setTimeout(r, 300));
    const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(p.pid)], { encoding: 'utf8' }).stdout.trim();
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
    expect(children).toBe('');
  });
  it('a reader that quits early (| head -c 1) ends the run quietly with 141, as SIGPIPE would; no EPIPE stack trace', () => {
    // --fields of a whole machine is 113 KB, more than a pipe holds: head has quit before the rest is written.
    const r = spawnSync('bash', ['-c', `${process.execPath} ${BIN} inspect fixtures/fidelity/switch/7.x-boot-before-6.1.lspci --fields | head -c 1 >/dev/null; echo "status \${PIPESTATUS[0]}" >&2`], { encoding: 'utf8', env: { ...process.env, LUSIM_FROM_SOURCE: '1' } });
    expect(r.stderr).toBe('status 141\n');
  });
  it('stdout that cannot be written (> /dev/full) is one line on stderr and exit 1, not a stack trace', () => {
    const r = spawnSync('bash', ['-c', `${process.execPath} ${BIN} inspect fixtures/qemu/nvme.lspci > /dev/full`], { encoding: 'utf8', env: { ...process.env, LUSIM_FROM_SOURCE: '1' } });
    expect([r.status, r.stderr]).toEqual([1, 'lusim: cannot write to stdout (the disk is full): the output is lost; send it where it can be written\n']);
  });
  it('a checkout before npm ci (no dist/, no tsx) says to run npm ci in one line, exit 1 (seen on a fresh machine: Node printed ERR_MODULE_NOT_FOUND)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-bin-'));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'cli'));
    copyFileSync(BIN, join(dir, 'bin', 'lusim.js'));
    writeFileSync(join(dir, 'cli', 'main.ts'), '');
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'lusim.js'), '--version'], { encoding: 'utf8', cwd: dir });
    expect([r.status, r.stderr]).toEqual([1, `lusim: this checkout has no node_modules (tsx is missing); run npm ci in ${dir} first.\n`]);
  });
});
