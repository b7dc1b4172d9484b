/**
 * drivers/pci/iov.c pci_iov_init -> sriov_init, run by pci_init_capabilities when kernel B
 * enumerates a PF (same steps in v6.1, v6.12 and v7.1):
 *  - VF Enable found set (kernel A's VFs, or firmware's) is cleared by writing PCI_SRIOV_CTRL = 0
 *    (then ssleep(1)): every VF disappears at B's enumeration, before any restore;
 *  - PCI_SRIOV_CTRL is written with ARI Capable Hierarchy only (for the first PF on the bus, when
 *    pci_ari_enabled(dev->bus)); MSE and VF Enable stay 0;
 *  - with TotalVFs != 0, PCI_SRIOV_SYS_PGSIZE gets the smallest supported page size that is at
 *    least PAGE_SIZE (4 KiB on x86-64: pgsz &= ~(pgsz - 1));
 *  - dev->sriov holds ctrl, pgsz and num_VFs = 0 (kzalloc), which sriov_restore_state writes back.
 *  - the VF BARs are read (__pci_read_base) into dev->resource[PCI_IOV_RESOURCES + i], which
 *    sriov_restore_state writes back (pci_iov_update_resource). The sizing writes of
 *    __pci_size_stdbars leave the BARs as found and are not modelled, so a BAR is taken as
 *    implemented when it holds an address: a BAR found at 0 is left out (kernel B would assign it
 *    an address later, pci_assign_unassigned_bus_resources, which lusim does not model); the
 *    sizing reads back the size a VF Resizable BAR capability selects (iov->barsz), as for a
 *    PF's resizable BARs (find-cap.ts rebarSizes).
 * NumVFs is not written here (pci_iov_set_numvfs runs only from restore and sriov_enable).
 */
import type { PciDev, VfBarResource } from './dev.js';
import { pciFindExtCapability, pciFindCapability, rebarSizes } from './find-cap.js';
import {
  PCI_CAP_ID_EXP, PCI_EXP_DEVCTL2, PCI_EXT_CAP_ID_SRIOV, PCI_SRIOV_CTRL, PCI_SRIOV_CTRL_ARI, PCI_SRIOV_CTRL_VFE,
  PCI_SRIOV_SUP_PGSIZE, PCI_SRIOV_SYS_PGSIZE, PCI_SRIOV_TOTAL_VF, PCI_SRIOV_BAR, PCI_SRIOV_NUM_BARS,
  PCI_BASE_ADDRESS_MEM_TYPE_MASK, PCI_BASE_ADDRESS_MEM_TYPE_64, PCI_EXT_CAP_ID_VF_REBAR,
} from '../../devices/pci-regs.js';

/** PCI_BASE_ADDRESS_MEM_MASK (~0x0f): the address bits of a memory BAR. */
const PCI_BASE_ADDRESS_MEM_MASK = 0xfffffff0;
import { pciIsPcie } from './dev.js';

/** PCI_EXP_DEVCTL2_ARI: ARI Forwarding Enable on the bridge above (pci_ari_enabled reads bus->self->ari_enabled). */
const PCI_EXP_DEVCTL2_ARI = 0x0020;

async function pciAriEnabled(dev: PciDev): Promise<boolean> {
  const bridge = dev.parent;
  if (!bridge) return false;
  const exp = await pciFindCapability(bridge, PCI_CAP_ID_EXP);
  return exp !== 0 && ((await bridge.access.config.readw(exp + PCI_EXP_DEVCTL2)) & PCI_EXP_DEVCTL2_ARI) !== 0;
}

/** sriov_init's __pci_read_base loop: each VF BAR that holds an address, a 64-bit one with its upper half. */
async function readVfBars(dev: PciDev, pos: number): Promise<VfBarResource[]> {
  const bars: VfBarResource[] = [];
  for (let i = 0; i < PCI_SRIOV_NUM_BARS; i++) {
    const lo = await dev.access.config.readl(pos + PCI_SRIOV_BAR + 4 * i);
    const is64 = (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) === PCI_BASE_ADDRESS_MEM_TYPE_64 && i < PCI_SRIOV_NUM_BARS - 1;
    const hi = is64 ? await dev.access.config.readl(pos + PCI_SRIOV_BAR + 4 * (i + 1)) : 0;
    if ((lo & PCI_BASE_ADDRESS_MEM_MASK) !== 0 || hi !== 0) bars.push({ bar: i, lo, ...(is64 ? { hi } : {}) });
    if (is64) i++;
  }
  return bars;
}

export async function pciIovInit(dev: PciDev): Promise<void> {
  if (!pciIsPcie(dev)) return;
  const pos = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_SRIOV);
  if (!pos) return;
  await dev.log.run('sriov_init', async () => {
    const c = dev.access.config;
    if ((await c.readw(pos + PCI_SRIOV_CTRL)) & PCI_SRIOV_CTRL_VFE) await c.writew(pos + PCI_SRIOV_CTRL, 0);
    // The model holds one PF per run, so it is the first PF on its bus.
    const ctrl = (await pciAriEnabled(dev)) ? PCI_SRIOV_CTRL_ARI : 0;
    await c.writew(pos + PCI_SRIOV_CTRL, ctrl);
    if ((await c.readw(pos + PCI_SRIOV_TOTAL_VF)) === 0) return;
    let pgsz = await c.readl(pos + PCI_SRIOV_SUP_PGSIZE);
    if (pgsz === 0) return; // -EIO: dev->sriov stays NULL
    pgsz = (pgsz & -pgsz) >>> 0;
    await c.writel(pos + PCI_SRIOV_SYS_PGSIZE, pgsz);
    dev.kernel.sriov = { pos, ctrl, pgsz, numVfs: 0, vfBars: await readVfBars(dev, pos), vfRebarSizes: await rebarSizes(dev, PCI_EXT_CAP_ID_VF_REBAR) };
  });
}
