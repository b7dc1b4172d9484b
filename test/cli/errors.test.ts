/** The CLI's promises about failures (README "Exit codes"): one clear line, the right status, no stack. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function lusim(...args: string[]) {
  const r = spawnSync('npx', ['tsx', 'cli/main.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.split('\n').filter((l) => !l.includes('npm warn')).join('\n') };
}

describe('lusim failures', () => {
  it('a missing file: exit 1, one line naming the file, no stack trace', () => {
    const r = lusim('inspect', '/nonexistent/dump.txt');
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('lusim: no such file: /nonexistent/dump.txt');
  });
  it('a file that is no dump: exit 1 with the sizes and formats lusim accepts', () => {
    const r = lusim('inspect', 'package-lock.json', '--format', 'raw');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/expected 64, 256 or 4096/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
  it('a usage error (bad choice): exit 2', () => {
    expect(lusim('cycle', '--flow', 'nope').status).toBe(2);
  });
  it('a malformed capability layout: inspect reports it and exits 3', () => {
    const r = lusim('inspect', 'fixtures/malformed/cap-loop.lspci');
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/cap-loop/);
  });
  it('--json errors are data: code and message on stdout', () => {
    const r = lusim('cycle', 'e1000e', '--drift', 'bad', '--json');
    expect(r.status).toBe(2); // a bad choice on the command line (README "Exit codes")
    const err = JSON.parse(r.stdout) as { code: string; message: string };
    expect(err.code).toBe('bad-drift');
  });
});
