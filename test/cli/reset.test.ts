/** `lusim reset` and `lusim reset-methods` end to end through the CLI (tsx, no QEMU). */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const run = (...args: string[]) => spawnSync('npx', ['tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });

describe('lusim reset-methods', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lusim-reset-'));
  const dump = join(dir, 'rp-e1000e.lspci');
  writeFileSync(dump, `${readFileSync('fixtures/qemu/pcie-root-port.lspci', 'utf8')}\n${readFileSync('fixtures/qemu/e1000e.lspci', 'utf8')}`);

  it('--json gives one object per device with bdf, resetMethods, resetFunctionMethod, resetWorks, reasons', () => {
    const out = JSON.parse(execFileSync('npx', ['tsx', 'cli/main.ts', 'reset-methods', dump, '--kernel', '6.12', '--json'], { encoding: 'utf8' }));
    expect(out.map((d: { bdf: string }) => d.bdf)).toEqual(['00:01.0', '01:00.0']);
    expect(out[1]).toMatchObject({ resetMethods: ['pm', 'bus'], resetFunctionMethod: 'pm', resetWorks: true });
    expect(out[1].reasons.length).toBeGreaterThan(5);
    expect(out[0]).toMatchObject({ resetMethods: [], resetWorks: false });
  }, 30_000);

  it('--flags no-pm,no-bus leaves nothing for e1000e', () => {
    const out = JSON.parse(execFileSync('npx', ['tsx', 'cli/main.ts', 'reset-methods', dump, '--kernel', '7.1', '--device', '01:00.0', '--flags', 'no-pm,no-bus', '--json'], { encoding: 'utf8' }));
    expect(out[0]).toMatchObject({ resetMethods: [], resetWorks: false });
  }, 30_000);

  it('bad kernel and bad flag are clear errors', () => {
    const k = run('reset-methods', dump, '--kernel', '5.4');
    expect(k.status).toBe(2); // a bad choice is a usage error (README "Exit codes")
    expect(k.stderr).toMatch(/unknown kernel "5.4": use one of 6.1, 6.1.y, 6.12/);
    const f = run('reset-methods', dump, '--kernel', '6.1', '--flags', 'no-foo');
    expect(f.stderr).toMatch(/unknown flag "no-foo"/);
    expect(f.status).toBe(2);
    // A doubled or trailing comma names nothing, as in every list option.
    expect(run('reset-methods', dump, '--kernel', '6.1', '--flags', 'no-flr,').status).toBe(0);
  }, 30_000);

  it('reset needs --device for a multi-device dump, and a known method', () => {
    expect(run('reset', dump, '--method', 'flr').stderr).toMatch(/choose one with --device/);
    expect(run('reset', dump, '--device', '01:00.0', '--method', 'warm').stderr).toMatch(/unknown reset method "warm"/);
  }, 30_000);

  it('reset --kernel runs the whole pci_reset_function: the kernel picks the method, fields carry before/afterReset/after', () => {
    const out = JSON.parse(execFileSync('npx', ['tsx', 'cli/main.ts', 'reset', 'fixtures/qemu/nvme.lspci', '--kernel', '6.12', '--profile', 'auto', '--json'], { encoding: 'utf8' }));
    expect(out).toMatchObject({ bdf: '01:00.0', kernel: '6.12', method: 'flr', personality: 'qemu-7.2' });
    const intx = out.fields.find((f: { field: string }) => f.field === 'PCI_COMMAND_INTX_DISABLE');
    expect(intx).toMatchObject({ before: 0, afterReset: 0, after: 0 });
    expect(intx.rule).toMatch(/^reset by flr .*back to its value before pci_reset_function/);
    expect(run('reset', 'fixtures/qemu/nvme.lspci', '--kernel', '6.12', '--method', 'flr').stderr).toMatch(/exactly one of --method .* or --kernel/);
    expect(run('reset', 'fixtures/qemu/nvme.lspci', '--kernel', '5.4').stderr).toMatch(/unknown kernel profile "5.4"/);
  }, 30_000);

  it('reset --json reports the fields with their rules', () => {
    const out = JSON.parse(execFileSync('npx', ['tsx', 'cli/main.ts', 'reset', 'fixtures/qemu/nvme.lspci', '--method', 'pm', '--json'], { encoding: 'utf8' }));
    expect(out).toMatchObject({ bdf: '01:00.0', kind: 'pm', personality: 'spec', performed: true });
    expect(out.fields.find((f: { field: string }) => f.field === 'PCI_COMMAND_MASTER').rule).toMatch(/No_Soft_Reset=1/);
  }, 30_000);

  it('reset --kernel in text: what did not come back, what changed on the way and came back, what never changed', () => {
    const out = run('reset', 'fixtures/qemu/nvme.lspci', '--kernel', '6.12').stdout;
    // FLR returns Device Control's RW fields to their reset values; pci_restore_pcie_state writes them back.
    expect(out).toMatch(/^changed \(0\):\nchanged on the way \(save and disable, the reset\), back after pci_restore_state \(3\):\n {2}0x88 +PCI_EXP_DEVCTL\.PCI_EXP_DEVCTL_RELAX_EN +0x0 -> 0x1 -> 0x0 +restored by pci_restore_pcie_state/m);
    expect(out).toMatch(/^unchanged \(208\):$/m);
  }, 30_000);
});
