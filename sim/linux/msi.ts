/**
 * msi/api.c pci_restore_msi_state = __pci_restore_msi_state + __pci_restore_msix_state
 * (msi/msi.c, same sequence in v6.1 and v7.1). Nothing comes from a save buffer: everything is
 * rewritten from the kernel's msi_desc. arch_restore_msi_irqs is the __weak default (true) on
 * x86 bare metal, so messages are rewritten. Up to v7.1 the MSI-X table is written through BAR
 * memory without checking Command.MEM (linux-pci.md section 4); v7.2's __pci_restore_msix_state
 * writes COMMAND | MEMORY before the table writes and the read value back after them
 * (`enableMemory`, profile.msixRestoreEnablesMemory).
 */
import type { PciDev, MsiDesc, MsixState } from './dev.js';
import { pciFindCapability } from './find-cap.js';
import {
  PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_MEMORY, PCI_MSIX_ENTRY_CTRL_MASKBIT, PCI_MSIX_ENTRY_DATA,
  PCI_MSIX_ENTRY_LOWER_ADDR, PCI_MSIX_ENTRY_SIZE, PCI_MSIX_ENTRY_UPPER_ADDR, PCI_MSIX_ENTRY_VECTOR_CTRL,
  PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, PCI_MSIX_FLAGS_MASKALL, PCI_MSI_ADDRESS_HI, PCI_MSI_ADDRESS_LO,
  PCI_MSI_DATA_32, PCI_MSI_DATA_64, PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, PCI_MSI_FLAGS_QSIZE,
  PCI_CAP_ID_MSI, PCI_CAP_ID_MSIX, PCI_MSI_FLAGS_64BIT, PCI_MSI_FLAGS_MASKBIT, PCI_MSI_MASK_32, PCI_MSI_MASK_64,
  PCI_MSIX_TABLE, PCI_MSIX_TABLE_BIR, PCI_MSIX_TABLE_OFFSET, PCI_MSIX_FLAGS_QSIZE,
} from '../../devices/pci-regs.js';

/** pci.c pci_intx(dev, 0) via pci_intx_for_msi: set INTX_DISABLE, writing only on a change. */
async function pciIntxDisable(dev: PciDev): Promise<void> {
  const cmd = await dev.access.config.readw(PCI_COMMAND);
  const next = cmd | PCI_COMMAND_INTX_DISABLE;
  if (next !== cmd) await dev.access.config.writew(PCI_COMMAND, next);
}

async function msixWriteVectorCtrl(dev: PciDev, x: MsixState, d: MsiDesc, ctrl: number): Promise<void> {
  if (!x.canMask || !dev.access.bars) return;
  await dev.access.bars.writel(x.tableBar, x.tableOffset + d.index * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, ctrl);
}

async function msixClearAndSetCtrl(dev: PciDev, cap: number, clear: number, set: number): Promise<void> {
  const ctrl = await dev.access.config.readw(cap + PCI_MSIX_FLAGS);
  await dev.access.config.writew(cap + PCI_MSIX_FLAGS, (ctrl & ~clear) | set);
}

export async function pciRestoreMsiOnly(dev: PciDev): Promise<void> {
  const m = dev.kernel.msi;
  if (!m) return; // !dev->msi_enabled
  const c = dev.access.config;
  await pciIntxDisable(dev);
  // pci_msi_set_enable(dev, 0)
  await c.writew(m.cap + PCI_MSI_FLAGS, (await c.readw(m.cap + PCI_MSI_FLAGS)) & ~PCI_MSI_FLAGS_ENABLE);
  if (dev.kernel.inD0) {
    // __pci_write_msi_msg, MSI branch
    const msgctl = ((await c.readw(m.cap + PCI_MSI_FLAGS)) & ~PCI_MSI_FLAGS_QSIZE) | (m.multiple << 4);
    await c.writew(m.cap + PCI_MSI_FLAGS, msgctl);
    await c.writel(m.cap + PCI_MSI_ADDRESS_LO, m.desc.addressLo);
    if (m.is64) {
      await c.writel(m.cap + PCI_MSI_ADDRESS_HI, m.desc.addressHi);
      await c.writew(m.cap + PCI_MSI_DATA_64, m.desc.data);
    } else {
      await c.writew(m.cap + PCI_MSI_DATA_32, m.desc.data);
    }
  }
  const control = await c.readw(m.cap + PCI_MSI_FLAGS);
  // pci_msi_update_mask(entry, 0, 0): rewrites the cached mask when per-vector masking exists.
  if (m.canMask) await c.writel(m.cap + m.maskPos, m.mask);
  await c.writew(m.cap + PCI_MSI_FLAGS, (control & ~PCI_MSI_FLAGS_QSIZE) | PCI_MSI_FLAGS_ENABLE | (m.multiple << 4));
}

export async function pciRestoreMsixOnly(dev: PciDev, enableMemory = false): Promise<void> {
  const x = dev.kernel.msix;
  if (!x) return; // !dev->msix_enabled
  await pciIntxDisable(dev);
  await msixClearAndSetCtrl(dev, x.cap, 0, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
  const cmd = enableMemory ? await dev.access.config.readw(PCI_COMMAND) : 0;
  if (enableMemory) await dev.access.config.writew(PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
  for (const d of x.descs) {
    if (dev.kernel.inD0 && dev.access.bars) {
      // __pci_write_msi_msg, MSI-X branch: mask around the update if the entry is unmasked.
      const base = x.tableOffset + d.index * PCI_MSIX_ENTRY_SIZE;
      const unmasked = !(d.msixCtrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
      if (unmasked) await msixWriteVectorCtrl(dev, x, d, d.msixCtrl | PCI_MSIX_ENTRY_CTRL_MASKBIT);
      await dev.access.bars.writel(x.tableBar, base + PCI_MSIX_ENTRY_LOWER_ADDR, d.addressLo);
      await dev.access.bars.writel(x.tableBar, base + PCI_MSIX_ENTRY_UPPER_ADDR, d.addressHi);
      await dev.access.bars.writel(x.tableBar, base + PCI_MSIX_ENTRY_DATA, d.data);
      if (unmasked) await msixWriteVectorCtrl(dev, x, d, d.msixCtrl);
    }
    await msixWriteVectorCtrl(dev, x, d, d.msixCtrl);
  }
  if (enableMemory) await dev.access.config.writew(PCI_COMMAND, cmd);
  await msixClearAndSetCtrl(dev, x.cap, PCI_MSIX_FLAGS_MASKALL, 0);
}

/**
 * dev->msi_enabled / msix_enabled and their msi_desc as a driver left them, read back from the
 * registers: msi_capability_init / msix_capability_init set the enable bit and write each message
 * from the desc (__pci_write_msi_msg), so for a device whose driver enabled MSI or MSI-X (the state
 * kernel B found, before it restores) the registers are the desc. pci_restore_msi_state then
 * rewrites them and sets INTX_DISABLE (pci_intx_for_msi). Measured: kernel B 6.1's restore of a
 * switch port whose AER service had MSI enabled left COMMAND 0x507, with INTX_DISABLE.
 * MSI-X entries whose vector is masked are taken as unallocated (no desc).
 */
export async function readKernelIrqState(dev: PciDev): Promise<void> {
  const c = dev.access.config;
  const msi = await pciFindCapability(dev, PCI_CAP_ID_MSI);
  if (msi) {
    const ctrl = await c.readw(msi + PCI_MSI_FLAGS);
    if (ctrl & PCI_MSI_FLAGS_ENABLE) {
      const is64 = (ctrl & PCI_MSI_FLAGS_64BIT) !== 0;
      const canMask = (ctrl & PCI_MSI_FLAGS_MASKBIT) !== 0;
      const maskPos = is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
      dev.kernel.msi = {
        cap: msi, is64, canMask, maskPos, multiple: (ctrl & PCI_MSI_FLAGS_QSIZE) >> 4,
        mask: canMask ? await c.readl(msi + maskPos) : 0,
        desc: { addressLo: await c.readl(msi + PCI_MSI_ADDRESS_LO), addressHi: is64 ? await c.readl(msi + PCI_MSI_ADDRESS_HI) : 0, data: await c.readw(msi + (is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32)), index: 0, msixCtrl: 0 },
      };
    }
  }
  const msix = await pciFindCapability(dev, PCI_CAP_ID_MSIX);
  if (msix && ((await c.readw(msix + PCI_MSIX_FLAGS)) & PCI_MSIX_FLAGS_ENABLE)) {
    const table = await c.readl(msix + PCI_MSIX_TABLE);
    const x = { cap: msix, tableBar: table & PCI_MSIX_TABLE_BIR, tableOffset: (table & PCI_MSIX_TABLE_OFFSET) >>> 0, canMask: true };
    const descs: MsiDesc[] = [];
    const entries = ((await c.readw(msix + PCI_MSIX_FLAGS)) & PCI_MSIX_FLAGS_QSIZE) + 1;
    for (let i = 0; dev.access.bars && i < entries; i++) {
      const base = x.tableOffset + i * PCI_MSIX_ENTRY_SIZE;
      const ctl = await dev.access.bars.readl(x.tableBar, base + PCI_MSIX_ENTRY_VECTOR_CTRL);
      if (ctl & PCI_MSIX_ENTRY_CTRL_MASKBIT) continue;
      descs.push({ addressLo: await dev.access.bars.readl(x.tableBar, base + PCI_MSIX_ENTRY_LOWER_ADDR), addressHi: await dev.access.bars.readl(x.tableBar, base + PCI_MSIX_ENTRY_UPPER_ADDR), data: await dev.access.bars.readl(x.tableBar, base + PCI_MSIX_ENTRY_DATA), index: i, msixCtrl: ctl });
    }
    dev.kernel.msix = { ...x, descs };
  }
}

export async function pciRestoreMsiState(dev: PciDev, msixEnablesMemory = false): Promise<void> {
  await pciRestoreMsiOnly(dev);
  await pciRestoreMsixOnly(dev, msixEnablesMemory);
}
