/**
 * `lusim reset --kernel`: a full pci_reset_function over the QEMU 7.2 model (sim/reset-methods/
 * full-reset.ts over sim/cycle/reset-path.ts). The fixtures are QEMU's power-on state, so each
 * test first programs the function as a driver would leave it (BAR assigned, decode and bus
 * mastering on).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFunction, type PciFunction } from '../../../devices/device.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { profileForDump } from '../../../devices/profiles/index.js';
import { fullResetFunction, type FullResetReport } from '../../../sim/reset-methods/full-reset.js';
import { PCI_BASE_ADDRESS_0, PCI_COMMAND } from '../../../devices/pci-regs.js';

const MEM_MASTER = 0x0006;

function programmed(name: string, profile: 'auto' | 'spec', bar0: number): PciFunction {
  const [dump] = parseLspci(readFileSync(`fixtures/qemu/${name}.lspci`, 'utf8'));
  const fn = buildFunction(dump, profileForDump(dump, profile));
  fn.space.write(PCI_BASE_ADDRESS_0, 4, bar0);
  fn.space.write(PCI_COMMAND, 2, MEM_MASTER);
  return fn;
}

const field = (r: FullResetReport, name: string) => {
  const f = r.fields.find((o) => o.field === name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
};

describe('fullResetFunction (pci_reset_function on the model)', () => {
  it('QEMU nvme, Linux 6.12: FLR clears COMMAND and BAR0, pci_restore_state brings them back', async () => {
    const r = await fullResetFunction(programmed('nvme', 'auto', 0xfebf0000), '6.12');
    expect(r).toMatchObject({ method: 'flr', personality: 'qemu-7.2', kernel: '6.12' });
    const mem = field(r, 'PCI_COMMAND_MEMORY');
    expect([mem.before, mem.afterReset, mem.after]).toEqual([1, 0, 1]);
    expect(mem.rule).toMatch(/^restored by pci_restore_config_space .* after pci_dev_save_and_disable changed it/);
    const bar = r.fields.find((o) => o.register === 'PCI_BASE_ADDRESS_0' && o.afterReset !== o.before);
    expect(bar, 'FLR (pci_do_device_reset -> pci_reset_regions) clears the BAR address').toBeDefined();
    expect(bar!.after).toBe(bar!.before);
    expect(bar!.rule).toMatch(/^restored by pci_restore_config_space/);
    expect(r.fields.filter((f) => f.changed)).toEqual([]);
  });

  it('QEMU e1000e, Linux 6.12: pm is the method and resets nothing on QEMU 7.2; only COMMAND moves (save_and_disable, then restore)', async () => {
    const r = await fullResetFunction(programmed('e1000e', 'auto', 0xfeb80000), '6.12');
    expect(r).toMatchObject({ method: 'pm', personality: 'qemu-7.2' });
    const moved = r.fields.filter((f) => f.afterReset !== f.before).map((f) => f.register);
    expect(new Set(moved)).toEqual(new Set(['PCI_COMMAND']));
    const bar = r.fields.find((o) => o.register === 'PCI_BASE_ADDRESS_0' && o.before !== 0)!;
    expect(bar.rule).toMatch(/survived the pm reset.*D3hot->D0 resets nothing/);
    expect(field(r, 'PCI_COMMAND_MEMORY').rule).toMatch(/^restored by pci_restore_config_space/);
  });

  it('spec personality, same e1000e (No_Soft_Reset=0): the D3hot->D0 reset clears the BAR and DEVCTL defaults return; pci_restore_state undoes both', async () => {
    const r = await fullResetFunction(programmed('e1000e', 'spec', 0xfeb80000), '6.12');
    expect(r.method).toBe('pm');
    const bar = r.fields.find((o) => o.register === 'PCI_BASE_ADDRESS_0' && o.before !== 0)!;
    expect([bar.afterReset, bar.after]).toEqual([0, bar.before]);
    expect(bar.rule).toMatch(/^restored by pci_restore_config_space .* after the pm reset changed it/);
    const relax = field(r, 'PCI_EXP_DEVCTL_RELAX_EN');
    expect([relax.before, relax.afterReset, relax.after]).toEqual([0, 1, 0]);
    expect(relax.rule).toMatch(/^restored by pci_restore_pcie_state/);
    expect(field(r, 'PCI_COMMAND_MEMORY').rule).toMatch(/after pci_dev_save_and_disable changed it/);
  });

  it('no usable method: -ENOTTY, nothing changes', async () => {
    const [dump] = parseLspci(readFileSync('fixtures/qemu/pcie-root-port.lspci', 'utf8'));
    const r = await fullResetFunction(buildFunction(dump, profileForDump(dump, 'auto')), '6.12');
    expect(r.method).toBeNull();
    expect(r.fields.every((f) => !f.changed && /-ENOTTY/.test(f.rule))).toBe(true);
  });
});
