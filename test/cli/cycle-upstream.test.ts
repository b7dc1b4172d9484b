/** `lusim cycle` with the issue-14 options end to end through the CLI (tsx, no QEMU). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const run = (...args: string[]) => spawnSync('npx', ['tsx', 'cli/main.ts', 'cycle', ...args], { encoding: 'utf8' });

describe('lusim cycle: vfio-lu, --handover, --kconfig', () => {
  it('--flow vfio-lu --irqs-enabled --json: the refused gate and the options used from --kconfig', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-kconfig-'));
    const cfg = join(dir, 'config-test');
    writeFileSync(cfg, 'CONFIG_PCIEAER=y\n# CONFIG_PCIE_TPH is not set\nCONFIG_KEXEC_HANDOVER=y\nCONFIG_LIVEUPDATE=y\n');
    const r = run('nvme', '--flow', 'vfio-lu', '--from', '7.3', '--to', '7.3', '--irqs-enabled', '--kconfig', cfg, '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.freeze[0]).toMatchObject({ gate: 'interrupts disabled', verdict: 'refused' });
    expect(out.kconfig.used.find((u: { option: string }) => u.option === 'CONFIG_PCIE_TPH').value).toBe('n');
  }, 60_000);

  it('a missing --kconfig file is a one-line error saying what to give', () => {
    const r = run('e1000e', '--kconfig', '/nonexistent/config');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no such file: \/nonexistent\/config \(--kconfig takes a kernel config/);
  }, 60_000);

  it('a --kconfig that is a directory, or gzip that does not gunzip, is a one-line error (was an internal error for the gzip)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-kconfig-'));
    const dirRun = run('e1000e', '--kconfig', dir);
    expect([dirRun.status, dirRun.stderr.trim()]).toEqual([1, `lusim: cannot read ${dir} (it is a directory): --kconfig takes a kernel config file`]);
    const gz = join(dir, 'config.gz');
    writeFileSync(gz, Buffer.from([0x1f, 0x8b, 0x78, 0x78, 0x78]));
    const gzRun = run('e1000e', '--kconfig', gz);
    expect(gzRun.status).toBe(1);
    expect(gzRun.stderr.trim()).toMatch(/^lusim: \S+config\.gz starts as gzip but does not gunzip \(.+\): give the config uncompressed, or a whole copy of \/proc\/config\.gz$/);
  }, 60_000);
});
