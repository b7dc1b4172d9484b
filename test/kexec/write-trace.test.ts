/**
 * QEMU's pci_cfg_write trace lines as Debian's QEMU 7.2 printed them in a real run
 * (`pci_cfg_write nvme 01:00.0 @0x4 <- 0x507`: bus and slot printed with %02u, i.e. decimal), and
 * their attribution to phases by the file's length at each mark.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTraceLine, WriteTrace } from '../../kexec/write-trace.js';

describe('write trace', () => {
  it('parses a line, with or without the timestamp prefix, bus and slot from decimal to hex', () => {
    expect(parseTraceLine('pci_cfg_write nvme 01:00.0 @0x4 <- 0x507', 'p')).toEqual({ phase: 'p', model: 'nvme', bdf: '01:00.0', offset: 4, value: 0x507 });
    expect(parseTraceLine('1234@1700000000.123456:pci_cfg_write pcie-root-port 00:16.0 @0x3c <- 0xa', 'p')).toMatchObject({ bdf: '00:10.0', offset: 0x3c, value: 10 });
    expect(parseTraceLine('pci_cfg_read nvme 01:00.0 @0x4 -> 0x507', 'p')).toBeUndefined();
  });

  it('gives each write the phase marked before it was logged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-trace-test-'));
    try {
      const t = new WriteTrace(join(dir, 'trace.log'));
      appendFileSync(t.file, 'pci_cfg_write nvme 01:00.0 @0x10 <- 0xffffffff\n');
      t.mark('save A');
      t.mark('kexec + boot B');
      appendFileSync(t.file, 'pci_cfg_write nvme 01:00.0 @0x4 <- 0x103\nnoise\n');
      expect(t.read().map((w) => `${w.phase}:${w.offset}`)).toEqual(['boot A:16', 'kexec + boot B:4']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
