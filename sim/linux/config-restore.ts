/**
 * pci.c pci_restore_config_space (identical in v6.1, v6.12, v6.19, v7.1; v7.2 dropped the retry
 * argument, so `barRetries` is 0 there: profile.barRestoreRetries). Ranges are walked from
 * the high index down. pci_restore_config_dword skips a dword that already equals the saved value
 * unless forced; otherwise it writes, and with retries re-reads and rewrites (mdelay(1) between,
 * not modelled) until the value sticks or the retries run out.
 *  - type 0: dwords 15..10, BARs 9..4 with 10 retries ("Restore BARs before the command
 *    register"), then 3..0, so Command/Status is written near last and dword 0 last;
 *  - type 1: 15..12, then 11..9 forced (prefetch window, "S3 resume issues on Intel PCI
 *    bridges"), then 8..0;
 *  - other (CardBus): 15..0.
 */
import type { PciDev } from './dev.js';
import { PCI_HEADER_TYPE_BRIDGE, PCI_HEADER_TYPE_NORMAL } from '../../devices/pci-regs.js';

export const PCI_BAR_RESTORE_RETRIES = 10;

export async function pciRestoreConfigDword(dev: PciDev, offset: number, saved: number, retry: number, force: boolean): Promise<void> {
  const c = dev.access.config;
  let val = await c.readl(offset);
  if (!force && val === saved) return;
  for (;;) {
    await c.writel(offset, saved);
    if (retry-- <= 0) return;
    val = await c.readl(offset);
    if (val === saved) return;
  }
}

export async function pciRestoreConfigSpaceRange(dev: PciDev, start: number, end: number, retry: number, force: boolean): Promise<void> {
  for (let index = end; index >= start; index--) {
    await pciRestoreConfigDword(dev, 4 * index, dev.saved.savedConfigSpace[index], retry, force);
  }
}

export async function pciRestoreConfigSpace(dev: PciDev, barRetries: number = PCI_BAR_RESTORE_RETRIES): Promise<void> {
  const hdr = dev.kernel.hdrType;
  if (hdr === PCI_HEADER_TYPE_NORMAL) {
    await pciRestoreConfigSpaceRange(dev, 10, 15, 0, false);
    await pciRestoreConfigSpaceRange(dev, 4, 9, barRetries, false);
    await pciRestoreConfigSpaceRange(dev, 0, 3, 0, false);
  } else if (hdr === PCI_HEADER_TYPE_BRIDGE) {
    await pciRestoreConfigSpaceRange(dev, 12, 15, 0, false);
    await pciRestoreConfigSpaceRange(dev, 9, 11, 0, true);
    await pciRestoreConfigSpaceRange(dev, 0, 8, 0, false);
  } else {
    await pciRestoreConfigSpaceRange(dev, 0, 15, 0, false);
  }
}
