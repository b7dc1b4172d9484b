/**
 * The first line of `cycle --qemu`'s text report says where the devices sat: each endpoint behind
 * a root port of its own, or the --topology/--qemu-device list as given. It used to infer that from
 * the drivers a topology run records, which a run failing in boot A does not have.
 */
import { describe, expect, it } from 'vitest';
import { renderRealCycle } from '../../cli/commands/cycle-qemu.js';
import type { RealCycleReport } from '../../kexec/run/real-cycle-report.js';

const failed = (devices: string[], topology: boolean): RealCycleReport => ({
  ok: false, options: { devices, topology, from: '6.12', to: '7.x', format: 'linux-blob', saver: 'kernel', drift: [] },
  phases: [], totalMs: 100, captures: {}, fidelity: [], devices: [],
  error: { code: 'qemu-exited', message: 'QEMU exited during start-up', phase: 'boot A' },
});

describe('cycle --qemu report: where the devices sat', () => {
  it('endpoints behind root ports; a topology as given, also when boot A failed', () => {
    expect(renderRealCycle(failed(['e1000e'], false)).split('\n')[0]).toBe('Real cycle: e1000e behind root ports, 6.12 -> 7.x, linux-blob, saved by the guest kernels: FAILED in boot A in 0.1 s');
    expect(renderRealCycle(failed(['rp1', 'nvme1'], true)).split('\n')[0]).toBe('Real cycle: rp1, nvme1, 6.12 -> 7.x, linux-blob, saved by the guest kernels: FAILED in boot A in 0.1 s');
  });
});
