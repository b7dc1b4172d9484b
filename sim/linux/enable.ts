/**
 * drivers/pci/pci.c enable/disable and bus master, the calls every driver path makes (a driver's
 * probe and ->shutdown, vfio-pci's open and close), as steps on any traced function: a PciDev of
 * the save/restore steps or a KexecDev of the kexec steps. Same bodies in v6.1, v6.12 and v7.1.
 *
 * Left out: the enable_cnt reference count (a second pci_enable_device returns early).
 */
import { PCI_D0 } from '../../devices/caps/pm.js';
import { isMem64Bar } from '../../devices/bar.js';
import {
  PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_SPACE_IO,
  PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_IO, PCI_COMMAND_MASTER, PCI_INTERRUPT_PIN, PCI_COMMAND_MEMORY, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE,
  PCI_HEADER_TYPE_MASK, PCI_HEADER_TYPE_NORMAL, PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK,
} from '../../devices/pci-regs.js';
import type { TracedFunction } from '../write-log/write-log.js';

/** Clear PCI_COMMAND_MASTER, writing only when it was set (__pci_set_master(dev, false)). */
async function clearMasterBit(t: TracedFunction): Promise<void> {
  const cmd = await t.access.config.readw(PCI_COMMAND);
  if (cmd & PCI_COMMAND_MASTER) await t.access.config.writew(PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
}

/** pci_clear_master: __pci_set_master(dev, false). */
export function pciClearMaster(t: TracedFunction, why?: string): Promise<void> {
  return t.log.run('pci_clear_master', () => clearMasterBit(t), why);
}

/** pci_disable_device -> do_pci_disable_device: clears MASTER only (Memory/I/O decode stay on). */
export function pciDisableDevice(t: TracedFunction, why?: string): Promise<void> {
  return t.log.run('pci_disable_device', () => clearMasterBit(t), why);
}

/** Which decode a function's resources need. */
export interface Resources {
  readonly io: boolean;
  readonly mem: boolean;
}

/** The resource types the BARs hold (a BAR reading 0 is no resource; a 64-bit BAR is one). */
export async function barResources(t: TracedFunction): Promise<Resources> {
  const c = t.access.config;
  const hdr = (await c.readb(PCI_HEADER_TYPE)) & PCI_HEADER_TYPE_MASK;
  const bars = hdr === PCI_HEADER_TYPE_NORMAL ? 6 : hdr === PCI_HEADER_TYPE_BRIDGE ? 2 : 0;
  let io = false;
  let mem = false;
  for (let i = 0; i < bars; i++) {
    const v = await c.readl(PCI_BASE_ADDRESS_0 + 4 * i);
    if (v === 0) continue;
    const isIo = (v & PCI_BASE_ADDRESS_SPACE_IO) !== 0;
    if (isIo) io = true;
    else mem = true;
    if (isMem64Bar(v)) i++; // its upper half
  }
  return { io, mem };
}

/**
 * pci_enable_device -> do_pci_enable_device: pci_set_power_state(D0) (pci_power_up writes PMCSR
 * 0), then pcibios_enable_device -> pci_enable_resources (setup-res.c): IO/MEMORY for the
 * resources the function has, one COMMAND write only when that changes it; then, the kernel
 * having enabled no MSI or MSI-X on it yet (every path here enables before it sets vectors up),
 * INTx re-enabled on a function with an interrupt pin (INTX_DISABLE cleared when set; Debian 7.3.4's
 * pci.c read; QEMU's trace of a 7.2 boot shows the write on a virtio-net function kernel A 6.12
 * left with INTx disabled). `pmCap` is dev->pm_cap (0: no PM capability).
 */
export function pciEnableDevice(t: TracedFunction, resources: Resources, pmCap: number): Promise<void> {
  return t.log.run('pci_enable_device', async () => {
    const c = t.access.config;
    if (pmCap) {
      const state = (await c.readw(pmCap + PCI_PM_CTRL)) & PCI_PM_CTRL_STATE_MASK;
      if (state !== PCI_D0) await t.log.run('pci_power_up', () => c.writew(pmCap + PCI_PM_CTRL, 0), `pci_set_power_state(D0) from D${state}`);
    }
    const cmd = await c.readw(PCI_COMMAND);
    const next = cmd | (resources.io ? PCI_COMMAND_IO : 0) | (resources.mem ? PCI_COMMAND_MEMORY : 0);
    if (next !== cmd) await t.log.run('pci_enable_resources', () => c.writew(PCI_COMMAND, next), 'decode the assigned BARs');
    if (!(await c.readb(PCI_INTERRUPT_PIN))) return;
    const now = await c.readw(PCI_COMMAND);
    if (now & PCI_COMMAND_INTX_DISABLE) await t.log.run('do_pci_enable_device', () => c.writew(PCI_COMMAND, now & ~PCI_COMMAND_INTX_DISABLE), 'no MSI or MSI-X enabled yet: INTx back on');
  });
}
