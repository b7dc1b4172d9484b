/**
 * QEMU's pci_cfg_write trace split into the real run's steps by the file's length at each mark,
 * and each step's write-log phase (the line format itself: test/sim/write-log).
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WriteTrace, writePhaseOf } from '../../kexec/write-trace.js';

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
