/**
 * `cycle --qemu` refuses what cannot run before it boots anything (exit 2, one line): the guest
 * kernels store only their own linux-blob, a kernel series must exist, a real drift edits the blob kernel A stored, and a
 * boot A restored from a snapshot has no boot to trace.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function lusim(...args: string[]) {
  const r = spawnSync('npx', ['tsx', 'cli/main.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stderr: r.stderr.split('\n').filter((l) => l.trim() && !l.includes('npm warn')).join('\n') };
}

describe('cycle --qemu option checks', () => {
  it('--saver kernel with --format lusim-v1: exit 2, says to use linux-blob or --saver host', () => {
    expect(lusim('cycle', '--qemu', '--device', 'nvme', '--format', 'lusim-v1')).toEqual({ status: 2, stderr: expect.stringMatching(/^lusim: --saver kernel carries .*--format linux-blob, or --saver host/) });
  });
  it('--drift with --saver host: exit 2', () => {
    expect(lusim('cycle', '--qemu', '--device', 'nvme', '--saver', 'host', '--drift', 'pcie:+reg')).toMatchObject({ status: 2, stderr: expect.stringMatching(/needs --saver kernel/) });
  });
  it('--snapshots with --timeline: exit 2 (a restored boot A has no firmware or boot-A writes to trace)', () => {
    expect(lusim('cycle', '--qemu', '--device', 'e1000e', '--snapshots', '/tmp/lusim-none', '--timeline')).toMatchObject({ status: 2, stderr: expect.stringMatching(/^lusim: --timeline traces .* drop one of them/) });
  });
  it('an unknown kernel series: exit 2 before any boot, not a failed real cycle', () => {
    expect(lusim('cycle', '--qemu', '--device', 'nvme', '--from', '5.4')).toEqual({ status: 2, stderr: 'lusim: Unknown kernel "5.4": use 6.1, 6.12, 7.x (sid) or 7.3 (trixie-backports), or a profile id: 6.1.y, 6.12.y, 7.1, 7.2, 7.3.' });
  });
  it('--console-log: a file QEMU can write, named before any boot; only with --qemu', () => {
    expect(lusim('cycle', '--qemu', '--device', 'nvme', '--console-log', '/tmp')).toMatchObject({ status: 2, stderr: expect.stringMatching(/^lusim: --console-log \/tmp is a directory: give a file name, e\.g\. \/tmp\/console\.log$/) });
    expect(lusim('cycle', '--qemu', '--device', 'nvme', '--console-log', '/nonexistent-lusim/c.log')).toMatchObject({ status: 2, stderr: expect.stringMatching(/^lusim: --console-log .*does not exist; create it first/) });
    expect(lusim('cycle', '--qemu', '--device', 'nvme', '--console-log', '/tmp/a,b.log')).toMatchObject({ status: 2, stderr: expect.stringMatching(/^lusim: --console-log \/tmp\/a,b\.log: QEMU cannot take a file name with a comma/) });
    expect(lusim('cycle', '--device', 'nvme', '--console-log', '/tmp/c.log')).toMatchObject({ status: 2, stderr: expect.stringMatching(/--console-log .*with --qemu/) });
  }, 60_000);
  it('an unknown saver: exit 2 with the choices', () => {
    expect(lusim('cycle', '--qemu', '--saver', 'nobody')).toMatchObject({ status: 2, stderr: expect.stringMatching(/kernel, host/) });
  });
});
