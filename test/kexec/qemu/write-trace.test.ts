/**
 * QEMU's pci_cfg_write trace split into the real run's steps by the file's length at each mark,
 * and each step's write-log phase (the line format itself: test/sim/write-log).
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WriteTrace, writePhaseOf } from '../../../kexec/qemu/write-trace.js';

describe('write trace', () => {
  it('gives each write the phase marked before it was logged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-trace-test-'));
    try {
      const t = new WriteTrace(join(dir, 'trace.log'));
      appendFileSync(t.file, 'pci_cfg_write nvme 01:00.0 @0x10 <- 0xffffffff\n');
      t.mark('save A');
      t.mark('kexec + boot B');
      appendFileSync(t.file, 'pci_cfg_write nvme 01:00.0 @0x4 <- 0x103\nnoise\n');
      expect(t.read().map((w) => `${w.step}/${w.phase}:${w.offset}`)).toEqual(['boot A/boot A:16', 'kexec + boot B/boot B:4']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('places the run\'s steps in the write-log phases the host can tell apart', () => {
    expect(['boot A', 'save A (kernel)', 'kexec + boot B', 'unbind B', 'restore B (kernel)', 'restore B'].map((s) => writePhaseOf(s))).toEqual(['boot A', 'save A', 'shutdown A', 'unbind B', 'restore B', 'restore B']);
    // Kernel A's sriov_enable for guest-vfs=N: found by `lusim fuzz --qemu-trace` put in drivers B.
    expect(['enable VFs A', 'luo preserve', 'luo retrieve'].map((s) => writePhaseOf(s))).toEqual(['drivers A', 'save A', 'drivers B']);
    expect(() => writePhaseOf('a step nobody named')).toThrow(/STEP_PHASES/);
  });

  it('knows the phase of every step the real run names', () => {
    const dir = join(__dirname, '..', '..', '..', 'kexec', 'run');
    const names = readdirSync(dir).filter((f) => f.endsWith('.ts')).flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/\bstep\('([^']+)'/g)].map((m) => m[1]!));
    expect(names).toContain('enable VFs A');
    // Host steps before QEMU starts have no trace to mark (real-cycle.ts marks only with a session).
    const beforeQemu = new Set(['kernels', 'module build', 'luo helper']);
    for (const n of names.filter((x) => !beforeQemu.has(x))) expect(() => writePhaseOf(n), n).not.toThrow();
  });

  it('splits at the guest\'s markers: modules, the kexec, and kernel B\'s first host-bridge write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-trace-test-'));
    try {
      const t = new WriteTrace(join(dir, 'trace.log'));
      const w = (dev: string, off: number, v: number) => `pci_cfg_write x ${dev} @0x${off.toString(16)} <- 0x${v.toString(16)}`;
      const marker = (c: string) => w('00:00.0', 0, (c.charCodeAt(0) << 24 | 0x53554c) >>> 0);
      appendFileSync(t.file, [w('02:00.0', 0x4, 0x503), marker('d'), w('02:00.0', 0x42, 0xc040), ''].join('\n'));
      t.mark('capture A');
      t.mark('save A (kernel)');
      t.mark('kexec + boot B');
      appendFileSync(t.file, [marker('k'), w('02:00.0', 0x4, 0x103), w('00:00.0', 0x4, 0x503), w('02:00.0', 0x10, 0xffffffff), marker('d'), marker('a'), w('02:00.0', 0x4, 0x107), ''].join('\n'));
      t.mark('unbind B');
      appendFileSync(t.file, w('02:00.0', 0x4, 0x103) + '\n');
      const { writes, split } = t.readSplit();
      expect(split).toEqual({ firmware: false, modules: 2, kexec: true, bootB: true });
      expect(writes.map((x) => `${x.phase}:${x.device}@${x.offset.toString(16)}`)).toEqual([
        'boot A:02:00.0@4', 'drivers A:02:00.0@42', 'shutdown A:02:00.0@4', 'boot B:00:00.0@4', 'boot B:02:00.0@10', 'drivers B:02:00.0@4', 'unbind B:02:00.0@4',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without kernel B\'s first write after the kexec marker, A\'s shutdown and B\'s boot stay one phase', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-trace-test-'));
    try {
      const t = new WriteTrace(join(dir, 'trace.log'));
      t.mark('kexec + boot B');
      appendFileSync(t.file, 'pci_cfg_write mch 00:00.0 @0x0 <- 0x6b53554c\npci_cfg_write nvme 02:00.0 @0x4 <- 0x103\n');
      const { writes, split } = t.readSplit();
      expect(split.kexec && !split.bootB).toBe(true);
      expect(writes.map((x) => x.phase)).toEqual(['boot B']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('splits the firmware off kernel A\'s boot at SeaBIOS\'s last fw_cfg select', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-trace-test-'));
    try {
      const t = new WriteTrace(join(dir, 'trace.log'));
      appendFileSync(t.file, [
        'pci_cfg_write nvme 01:00.0 @0x10 <- 0xffffffff',
        "fw_cfg_select 0x55d0 key 0x0011 'kernel data', ret: 1",
        'pci_cfg_write nvme 01:00.0 @0x4 <- 0x507',
        "fw_cfg_select 0x55d0 key 0x0012 'initrd data', ret: 1",
        'pci_cfg_write nvme 01:00.0 @0x10 <- 0xffffffff', '',
      ].join('\n'));
      t.mark('capture A');
      expect(t.read().map((w) => `${w.step}/${w.phase}:${w.offset}`)).toEqual(['firmware/firmware:16', 'firmware/firmware:4', 'boot A/boot A:16']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
