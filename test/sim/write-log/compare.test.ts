/**
 * compareWriteLogs against a real trace written in the format QEMU 7.2's pci_cfg_write event
 * prints (hw/pci/trace-events "%s %02x:%02x.%x @0x%x <- 0x%x"; the line below is the one
 * ../shared/docs/guest-module.md records from a real boot: `pci_cfg_write nvme 00:04.0 @0x4 <- 0x6`).
 */
import { describe, expect, it } from 'vitest';
import { inPhase, type PhasedWrite, type WritePhase, type WriteRecord } from '../../../sim/write-log/entry.js';
import { compareWriteLogs } from '../../../sim/write-log/compare.js';
import { parsePciCfgWrite, pciCfgWriteRecord } from '../../../sim/write-log/qemu-trace.js';

/** A trace recorded phase by phase: each phase's lines as the log backend printed them. */
function realTrace(phases: Partial<Record<WritePhase, string>>): PhasedWrite[] {
  return Object.entries(phases).flatMap(([phase, text]) => text!.split('\n')
    .map((l) => parsePciCfgWrite(l.trim()))
    .filter((w) => w !== undefined)
    .map((w) => pciCfgWriteRecord(w, phase as WritePhase)));
}

const cfg = (fn: string, offset: number, width: 1 | 2 | 4, value: number, device = '00:04.0'): WriteRecord => ({ fn, device, space: 'config', offset, width, value });

describe('parsePciCfgWrite', () => {
  it('reads device model, bus:slot.fn, offset and value, with or without the log backend timestamp', () => {
    expect(parsePciCfgWrite('pci_cfg_write nvme 00:04.0 @0x4 <- 0x6')).toEqual({ qemuDevice: 'nvme', device: '00:04.0', offset: 4, value: 6 });
    expect(parsePciCfgWrite('4242@1764626400.123456:pci_cfg_write pcie-root-port 00:1C.0 @0x3e <- 0x40')).toEqual({ qemuDevice: 'pcie-root-port', device: '00:1c.0', offset: 0x3e, value: 0x40 });
    expect(parsePciCfgWrite('pci_cfg_write e1000e 01:00.0 @0x10 <- 0xfebc0000')?.value).toBe(0xfebc0000);
  });

  it('ignores reads, other events and anything else', () => {
    expect(parsePciCfgWrite('pci_cfg_read nvme 00:04.0 @0x4 -> 0x6')).toBeUndefined();
    expect(parsePciCfgWrite('msix_write_config dev nvme enabled 1 masked 0')).toBeUndefined();
    expect(parsePciCfgWrite('qemu-system-x86_64: terminating on signal 15')).toBeUndefined();
  });

  it('a traced write has no kernel function and no width', () => {
    expect(pciCfgWriteRecord(parsePciCfgWrite('pci_cfg_write nvme 00:04.0 @0x4 <- 0x6')!, 'boot A'))
      .toEqual({ phase: 'boot A', fn: null, device: '00:04.0', space: 'config', offset: 4, width: null, value: 6 });
  });
});

describe('compareWriteLogs', () => {
  const real = realTrace({
    'boot A': `
      pci_cfg_write nvme 00:04.0 @0x4 <- 0x6
      pci_cfg_write nvme 00:04.0 @0x4 <- 0x406`,
    'shutdown A': `
      pci_cfg_write nvme 00:04.0 @0x4 <- 0x402`,
    'boot B': `
      pci_cfg_write nvme 00:04.0 @0x4 <- 0x6
      pci_cfg_write nvme 00:04.0 @0x82 <- 0x0
      pci_cfg_write nvme 00:04.0 @0x4 <- 0x406`,
  });

  it('matches write by write per phase and device, and names what only one side wrote', () => {
    const model = [
      ...inPhase('boot A', [cfg('pci_enable_resources', 0x04, 2, 0x0006), cfg('pci_set_master', 0x04, 2, 0x0406)]),
      ...inPhase('shutdown A', [cfg('pci_disable_device', 0x04, 2, 0x0402)]),
      ...inPhase('boot B', [cfg('pci_enable_resources', 0x04, 2, 0x0006), cfg('pci_set_master', 0x04, 2, 0x0406), cfg('pci_msix_init', 0x82, 2, 0x4000)]),
    ];
    const c = compareWriteLogs(model, real);
    expect(c.matched.map((m) => [m.model.phase, m.model.fn, m.real.offset, m.real.value])).toEqual([
      ['boot A', 'pci_enable_resources', 4, 0x6], ['boot A', 'pci_set_master', 4, 0x406],
      ['shutdown A', 'pci_disable_device', 4, 0x402],
      ['boot B', 'pci_enable_resources', 4, 0x6], ['boot B', 'pci_set_master', 4, 0x406],
    ]);
    expect(c.onlyReal).toEqual([{ phase: 'boot B', fn: null, device: '00:04.0', space: 'config', offset: 0x82, width: null, value: 0 }]);
    expect(c.onlyModel.map((w) => [w.phase, w.fn, w.offset, w.value])).toEqual([['boot B', 'pci_msix_init', 0x82, 0x4000]]);
    expect(c.agreement).toBeCloseTo(5 / 7);
    expect(c.groups).toEqual([
      { phase: 'boot A', device: '00:04.0', matched: 2, onlyModel: 0, onlyReal: 0 },
      { phase: 'shutdown A', device: '00:04.0', matched: 1, onlyModel: 0, onlyReal: 0 },
      { phase: 'boot B', device: '00:04.0', matched: 2, onlyModel: 1, onlyReal: 1 },
    ]);
  });

  it('keeps the order: the same two writes swapped match once, not twice', () => {
    const model = inPhase('boot A', [cfg('pci_set_master', 0x04, 2, 0x0406), cfg('pci_enable_resources', 0x04, 2, 0x0006)]);
    const c = compareWriteLogs(model, real.filter((w) => w.phase === 'boot A'));
    expect(c.matched).toHaveLength(1);
    expect(c.onlyModel).toHaveLength(1);
    expect(c.onlyReal).toHaveLength(1);
  });

  it('a write in another phase or to another device is not a match', () => {
    const c = compareWriteLogs([...inPhase('boot B', [cfg('pci_disable_device', 0x04, 2, 0x0402)]), ...inPhase('shutdown A', [cfg('pci_disable_device', 0x04, 2, 0x0402, '01:00.0')])], real.filter((w) => w.phase === 'shutdown A'));
    expect(c.matched).toEqual([]);
    expect(c.agreement).toBe(0);
  });

  it('compares widths only when both sides know them, and "0000:00:04.0" names the same function as "00:04.0"', () => {
    const one = inPhase('shutdown A', [cfg('pci_disable_device', 0x04, 2, 0x0402, '0000:00:04.0')]);
    expect(compareWriteLogs(one, real.filter((w) => w.phase === 'shutdown A')).agreement).toBe(1);
    const dword = inPhase('shutdown A', [{ ...cfg('x', 0x04, 4, 0x402), fn: null }]);
    expect(compareWriteLogs(one, dword).matched).toEqual([]);
  });

  it('leaves out spaces the trace cannot see when told to (pci_cfg_write has no MSI-X table writes)', () => {
    const bar: PhasedWrite = { phase: 'boot A', fn: '__pci_write_msi_msg', device: '00:04.0', space: 'bar', bar: 0, offset: 0x2000, width: 4, value: 0xfee00000 };
    const model = [...inPhase('boot A', [cfg('pci_enable_resources', 0x04, 2, 0x0006), cfg('pci_set_master', 0x04, 2, 0x0406)]), bar];
    const boot = real.filter((w) => w.phase === 'boot A');
    expect(compareWriteLogs(model, boot).onlyModel).toEqual([bar]);
    expect(compareWriteLogs(model, boot, { spaces: ['config'] }).agreement).toBe(1);
  });

  it('two empty logs agree', () => {
    expect(compareWriteLogs([], [])).toEqual({ matched: [], onlyModel: [], onlyReal: [], agreement: 1, groups: [] });
  });
});
