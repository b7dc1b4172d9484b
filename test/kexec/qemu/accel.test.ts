import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseAccel, queryAccelerator } from '../../../kexec/qemu/accel.js';
import type { QmpClient } from '../../../kexec/qemu/qmp.js';

// A stand-in for /dev/kvm that opens read-write, and one that does not exist.
const dir = mkdtempSync(join(tmpdir(), 'lusim-accel-'));
const opens = join(dir, 'kvm');
writeFileSync(opens, '');
const missing = join(dir, 'absent');
// /proc/cpuinfo flags lines: this machine's (AMD EPYC in a Firecracker VM: no svm) and a host's.
const noVirt = 'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae hypervisor lahf_lm svm_lock cmp_legacy\n';
const vmx = 'processor\t: 0\nflags\t\t: fpu vme de vmx ept\n';

describe('chooseAccel', () => {
  it('asks for kvm with the tcg fallback only when /dev/kvm opens and the CPU has vmx or svm', () => {
    expect(chooseAccel({ env: undefined, devKvm: opens, cpuinfo: () => vmx })).toMatchObject({ wanted: 'kvm', args: ['-accel', 'kvm', '-accel', 'tcg'] });
    expect(chooseAccel({ env: undefined, devKvm: opens, cpuinfo: () => noVirt })).toMatchObject({ wanted: 'tcg', args: ['-accel', 'tcg'], why: expect.stringMatching(/neither the vmx nor the svm flag/) });
    expect(chooseAccel({ env: undefined, devKvm: missing, cpuinfo: () => vmx })).toMatchObject({ wanted: 'tcg', why: expect.stringMatching(/does not open read-write \(ENOENT\)/) });
  });

  it('makes every tcg single-threaded for a snapshot restore', () => {
    expect(chooseAccel({ env: 'tcg', singleThreadTcg: true }).args).toEqual(['-accel', 'tcg,thread=single']);
    expect(chooseAccel({ env: 'kvm', singleThreadTcg: true }).args).toEqual(['-accel', 'kvm', '-accel', 'tcg,thread=single']);
    expect(chooseAccel({ env: 'tcg', singleThreadTcg: true }).why).toMatch(/single-threaded/);
  });

  it('follows LUSIM_ACCEL and refuses anything else in one line', () => {
    expect(chooseAccel({ env: 'tcg', devKvm: opens, cpuinfo: () => vmx }).wanted).toBe('tcg');
    expect(chooseAccel({ env: 'kvm', devKvm: missing }).args).toEqual(['-accel', 'kvm', '-accel', 'tcg']);
    expect(chooseAccel({ env: 'auto', devKvm: missing }).wanted).toBe('tcg');
    expect(() => chooseAccel({ env: 'hvf' })).toThrow(/LUSIM_ACCEL="hvf" is not an accelerator; use auto, kvm or tcg/);
  });
});

describe('queryAccelerator', () => {
  const qmp = (enabled: boolean) => ({ execute: async (cmd: string) => (cmd === 'query-kvm' ? { enabled, present: true } : {}) }) as unknown as QmpClient;
  it('reports what query-kvm says ran, and a fallback as such', async () => {
    const kvm = chooseAccel({ env: 'kvm' });
    expect(await queryAccelerator(qmp(true), kvm)).toEqual({ name: 'kvm', why: 'LUSIM_ACCEL=kvm' });
    expect(await queryAccelerator(qmp(false), kvm)).toEqual({ name: 'tcg', why: 'LUSIM_ACCEL=kvm; KVM did not initialize, QEMU fell back to TCG' });
    expect((await queryAccelerator(qmp(false), chooseAccel({ env: 'tcg' }))).name).toBe('tcg');
  });
});
