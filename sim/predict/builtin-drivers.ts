/**
 * The drivers Debian's cloud kernels bind with no module loaded: their built-in PCI drivers
 * (CONFIG_*=y in each package's config, read for 6.1.0-57, 6.12.117+deb12 and 7.2.13+deb14):
 * CONFIG_BLK_DEV_NVME=y and CONFIG_PCIEPORTBUS=y in all three, CONFIG_VIRTIO_PCI=y in 6.12 and
 * 7.x but =m in 6.1. The match is each driver's id table: nvme's class entry
 * (PCI_CLASS_STORAGE_EXPRESS, nvme_id_table), pcieport's class entry for PCI-to-PCI bridges with
 * the port types pcie_portdrv_probe accepts (Root, Upstream, Downstream Port, RCEC), and
 * virtio-pci's vendor 0x1af4 devices 0x1000-0x107f (virtio_pci_id_table, virtio_pci_probe).
 */
import { readLE } from '../../devices/bytes.js';
import { walkCapabilities } from '../../devices/walker.js';
import type { KernelProfileId } from '../linux/profile.js';
import { PCI_CAP_ID_EXP, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM } from '../../devices/pci-regs.js';

const VIRTIO_PCI_BUILTIN: ReadonlySet<KernelProfileId> = new Set(['6.12', '6.12.y', '6.19', '7.1']);

/** The sysfs driver name a cloud kernel binds to this function on its own, or null. */
export function builtinDriver(bytes: Uint8Array, kernel: KernelProfileId): string | null {
  const vendor = readLE(bytes, 0, 2);
  const device = readLE(bytes, 2, 2);
  const cls = readLE(bytes, 9, 3);
  if (cls === 0x010802) return 'nvme';
  if (cls >>> 8 === 0x0604) {
    const exp = walkCapabilities(bytes).capabilities.find((c) => !c.extended && c.id === PCI_CAP_ID_EXP && !c.overlaps);
    const type = exp ? (readLE(bytes, exp.offset + 2, 2) >> 4) & 0xf : -1;
    if ([PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM, PCI_EXP_TYPE_DOWNSTREAM].includes(type)) return 'pcieport';
  }
  if (cls >>> 8 === 0x0807 && walkCapabilities(bytes).capabilities.some((c) => !c.extended && c.id === PCI_CAP_ID_EXP && ((readLE(bytes, c.offset + 2, 2) >> 4) & 0xf) === PCI_EXP_TYPE_RC_EC)) return 'pcieport';
  if (vendor === 0x1af4 && device >= 0x1000 && device <= 0x107f && VIRTIO_PCI_BUILTIN.has(kernel)) return 'virtio-pci';
  return null;
}
