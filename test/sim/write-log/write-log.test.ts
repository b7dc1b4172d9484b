/** The one write log: writes recorded by the access, named after the innermost kernel function. */
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../../devices/device.js';
import { parseBdf } from '../../../devices/dump/bdf.js';
import { PCI_COMMAND, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from '../../../devices/pci-regs.js';
import { pciClearMaster, pciDisableDevice, pciEnableDevice } from '../../../sim/linux/enable.js';
import { stepBarWrite, stepWrite } from '../../../sim/write-log/steps.js';
import { traced, WriteLog } from '../../../sim/write-log/write-log.js';

function endpoint(edit: (b: Uint8Array) => void = () => {}) {
  const b = new Uint8Array(256);
  b.set([0x86, 0x80, 0x34, 0x12], 0);
  b[0x0b] = 0x02; // network controller
  b[0x10] = 0x00; b[0x13] = 0xfe; // BAR0: 32-bit memory at 0xfe000000
  edit(b);
  return buildFunction({ bdf: parseBdf('01:00.0'), bytes: b });
}

describe('WriteLog and tracedAccess', () => {
  it('attributes each write to the innermost running step, with the device, width and masked value', async () => {
    const fn = endpoint();
    const t = traced({ config: fn.space.access() }, 'dev');
    await t.log.run('outer', async () => {
      await t.access.config.writeb(0x0c, 0x1ff); // CACHE_LINE_SIZE: masked to a byte
      await t.log.run('inner', () => t.access.config.writew(PCI_COMMAND, 0x12346));
    });
    expect(t.log.writes).toEqual([
      { fn: 'outer', device: 'dev', space: 'config', offset: 0x0c, width: 1, value: 0xff },
      { fn: 'inner', device: 'dev', space: 'config', offset: PCI_COMMAND, width: 2, value: 0x2346 },
    ]);
  });

  it('reads back only when asked, and records what the register kept', async () => {
    const fn = endpoint();
    const log = new WriteLog();
    const plain = traced({ config: fn.space.access() }, 'dev', log);
    const back = traced({ config: fn.space.access() }, 'parent', log, { readback: true });
    await stepWrite(plain, 'a', 0x00, 2, 0xffff, 'vendor ID is read-only');
    await stepWrite(back, 'b', 0x00, 2, 0xffff, 'vendor ID is read-only');
    expect(log.writes.map((w) => [w.fn, w.device, w.readback, w.why])).toEqual([
      ['a', 'dev', undefined, 'vendor ID is read-only'],
      ['b', 'parent', 0x8086, 'vendor ID is read-only'],
    ]);
  });

  it('a BAR write without BAR access leaves a note instead of a write', async () => {
    const t = traced({ config: endpoint().space.access() });
    expect(await stepBarWrite(t, 'msix_mask_all', 0, 0x0c, 1, 'mask entry 0')).toBe(false);
    expect(t.log.writes).toEqual([]);
    expect(t.log.notes).toEqual([{ step: 'msix_mask_all', why: 'no BAR access: mask entry 0 not applied' }]);
  });
});

describe('sim/linux/enable.ts: one pci_clear_master, pci_disable_device, pci_enable_device for every path', () => {
  it('pci_clear_master and pci_disable_device write COMMAND only when MASTER is set (pci.c __pci_set_master, do_pci_disable_device)', async () => {
    const fn = endpoint((b) => { b[0x04] = 0x06; });
    const t = traced({ config: fn.space.access() });
    await pciClearMaster(t, 'stop DMA');
    await pciDisableDevice(t);
    expect(t.log.writes.map((w) => [w.fn, w.value, w.why])).toEqual([['pci_clear_master', PCI_COMMAND_MEMORY, 'stop DMA']]);
    expect(fn.space.read(PCI_COMMAND, 2) & PCI_COMMAND_MASTER).toBe(0);
  });

  it('pci_enable_device powers up to D0 (pci_power_up) and sets decode in pci_enable_resources, only on a change', async () => {
    const PM = 0x40;
    const fn = endpoint((b) => { b[0x06] = 0x10; b[0x34] = PM; b.set([0x01, 0x00, 0x03, 0x00, 0x03, 0x00], PM); }); // PM cap, D3hot
    const t = traced({ config: fn.space.access() });
    await pciEnableDevice(t, { io: false, mem: true }, PM);
    await pciEnableDevice(t, { io: false, mem: true }, PM);
    expect(t.log.writes.map((w) => [w.fn, w.offset, w.value])).toEqual([['pci_power_up', PM + 4, 0], ['pci_enable_resources', PCI_COMMAND, PCI_COMMAND_MEMORY]]);
  });
});
