/**
 * drivers/pci/iov.c pci_iov_init -> sriov_init, run by pci_init_capabilities when kernel B
 * enumerates a PF (sim/kexec-sim/enumerate.ts calls it at its place, after pci_pm_init; same steps
 * in v6.1, v6.12 and v7.x, Debian 7.3.4's iov.c read):
 *  - VF Enable found set (kernel A's VFs, or firmware's) is cleared by writing PCI_SRIOV_CTRL = 0
 *    (then ssleep(1)): every VF disappears at B's enumeration, before any restore;
 *  - PCI_SRIOV_CTRL is written with ARI Capable Hierarchy only (for the first PF on the bus, when
 *    pci_ari_enabled(dev->bus)); MSE and VF Enable stay 0;
 *  - with TotalVFs != 0, PCI_SRIOV_SYS_PGSIZE gets the smallest supported page size that is at
 *    least PAGE_SIZE (4 KiB on x86-64: pgsz &= ~(pgsz - 1));
 *  - the six VF BARs are sized (sim/kexec-sim/setup-device.ts sriovSizeVfBars: per BAR with the
 *    PF's decode toggled on v6.1/v6.12, batched without on v6.15+) and read
 *    (__pci_read_base) into dev->resource[PCI_IOV_RESOURCES + i], which sriov_restore_state writes
 *    back (pci_iov_update_resource). A BAR is taken as implemented when it holds an address: a
 *    BAR found at 0 is left out (kernel B would assign it an address later,
 *    pci_assign_unassigned_bus_resources, which lusim does not model); the sizing reads back the
 *    size a VF Resizable BAR capability selects (iov->barsz), as for a PF's resizable BARs
 *    (find-cap.ts rebarSizes);
 *  - compute_max_vf_buses writes NumVFs from TotalVFs down to 1, reading First VF Offset and VF
 *    Stride after each (pci_iov_set_numvfs), then 0; an offset of 0 (or a stride of 0 with more
 *    than one VF) fails sriov_init with -EIO, and dev->sriov stays NULL. QEMU's trace of Debian
 *    7.2.13 shows NumVFs 2, 1, 0 for an nvme with TotalVFs 2 (test/e2e/sriov-nvme.test.ts);
 *  - dev->sriov holds ctrl, pgsz and num_VFs = 0 (kzalloc), which sriov_restore_state writes back.
 */
import type { FunctionAccess } from '../../devices/access.js';
import type { WriteLog } from '../write-log/write-log.js';
import { newPciDev, type PciDev, type SriovState, type VfBarResource } from './dev.js';
import { pciFindExtCapability, pciFindCapability, pciSetupDevice, rebarSizes } from './find-cap.js';
import {
  PCI_CAP_ID_EXP, PCI_EXP_DEVCTL2, PCI_EXT_CAP_ID_SRIOV, PCI_SRIOV_CTRL, PCI_SRIOV_CTRL_ARI, PCI_SRIOV_CTRL_VFE,
  PCI_SRIOV_SUP_PGSIZE, PCI_SRIOV_SYS_PGSIZE, PCI_SRIOV_TOTAL_VF, PCI_SRIOV_BAR, PCI_SRIOV_NUM_BARS,
  PCI_BASE_ADDRESS_MEM_TYPE_MASK, PCI_BASE_ADDRESS_MEM_TYPE_64, PCI_EXT_CAP_ID_VF_REBAR, PCI_SRIOV_NUM_VF,
  PCI_SRIOV_VF_OFFSET, PCI_SRIOV_VF_STRIDE, PCI_EXP_DEVCTL2_ARI,
} from '../../devices/pci-regs.js';
import { sriovSizeVfBars, type BarSizing } from '../kexec-sim/setup-device.js';
import { pciIsPcie } from './dev.js';

/** PCI_BASE_ADDRESS_MEM_MASK (~0x0f): the address bits of a memory BAR. */
const PCI_BASE_ADDRESS_MEM_MASK = 0xfffffff0;

/** pci_ari_enabled: ARI Forwarding Enable on the bridge above (bus->self->ari_enabled, which pci_configure_ari set). */
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

/** compute_max_vf_buses: NumVFs from `total` down to 1, then 0; false (-EIO) on a zero offset or stride. */
async function computeMaxVfBuses(dev: PciDev, pos: number, total: number): Promise<boolean> {
  const c = dev.access.config;
  let ok = true;
  for (let n = total; n > 0; n--) {
    await c.writew(pos + PCI_SRIOV_NUM_VF, n);
    const offset = await c.readw(pos + PCI_SRIOV_VF_OFFSET);
    const stride = await c.readw(pos + PCI_SRIOV_VF_STRIDE);
    if (offset === 0 || (n > 1 && stride === 0)) {
      ok = false;
      break;
    }
  }
  await c.writew(pos + PCI_SRIOV_NUM_VF, 0);
  return ok;
}

/**
 * `physfnBefore`: another PF precedes `dev` on its bus (sriov_init's walk of dev->bus->devices
 * finds one with is_physfn), so its SR-IOV Control gets no ARI Capable Hierarchy. Measured: two
 * SR-IOV nvme functions of one device, the second read 0 where the model said 0x10
 * (`lusim fuzz --seed 97 --oracle qemu --qemu 30`, 2026-12-07, sample 1).
 */
export async function pciIovInit(dev: PciDev, barSizing: BarSizing, physfnBefore = false): Promise<void> {
  if (!pciIsPcie(dev)) return;
  const pos = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_SRIOV);
  if (!pos) return;
  await dev.log.run('sriov_init', async () => {
    const c = dev.access.config;
    if ((await c.readw(pos + PCI_SRIOV_CTRL)) & PCI_SRIOV_CTRL_VFE) await c.writew(pos + PCI_SRIOV_CTRL, 0);
    const ctrl = !physfnBefore && (await pciAriEnabled(dev)) ? PCI_SRIOV_CTRL_ARI : 0;
    await c.writew(pos + PCI_SRIOV_CTRL, ctrl);
    const total = await c.readw(pos + PCI_SRIOV_TOTAL_VF);
    if (total === 0) return;
    let pgsz = await c.readl(pos + PCI_SRIOV_SUP_PGSIZE);
    if (pgsz === 0) return; // -EIO: dev->sriov stays NULL
    pgsz = (pgsz & -pgsz) >>> 0;
    await c.writel(pos + PCI_SRIOV_SYS_PGSIZE, pgsz);
    await sriovSizeVfBars(dev, pos + PCI_SRIOV_BAR, barSizing);
    const sriov = { pos, ctrl, pgsz, numVfs: 0, vfBars: await readVfBars(dev, pos), vfRebarSizes: await rebarSizes(dev, PCI_EXT_CAP_ID_VF_REBAR) };
    if (await computeMaxVfBuses(dev, pos, total)) dev.kernel.sriov = sriov;
  });
}

/**
 * pci_iov_init as kernel B's enumeration runs it (sim/kexec-sim/enumerate.ts kernelEnumerate's
 * `pciIovInit` step): sriov_init on `access`, its writes in `log`, with the port above when known
 * (its ARI Forwarding Enable decides ARI Capable Hierarchy) and whether a PF precedes it on the
 * bus (pciIovInit). Returns the dev->sriov it leaves.
 */
export async function pciIovInitAt(access: FunctionAccess, log: WriteLog, barSizing: BarSizing, parent?: FunctionAccess, physfnBefore = false): Promise<SriovState | undefined> {
  const port = parent ? newPciDev(parent, { name: 'parent', log }) : undefined;
  const dev = newPciDev(access, { name: 'dev', log, ...(port ? { parent: port } : {}) });
  await pciSetupDevice(dev);
  await pciIovInit(dev, barSizing, physfnBefore);
  return dev.kernel.sriov;
}

/**
 * The dev->sriov kernel B's sriov_init left, read from the bytes it wrote (PCI_SRIOV_CTRL's ARI
 * bit, PCI_SRIOV_SYS_PGSIZE) and the VF BARs, for a restore that runs after an enumeration it did
 * not model (kexec/run/kernel-steps.ts: the real kernel B enumerated the device). Undefined on a
 * function sriov_init leaves without state (no SR-IOV, TotalVFs 0, no supported page size). A
 * compute_max_vf_buses failure (First VF Offset 0) is not seen here: it needs NumVFs writes.
 */
export async function sriovStateFound(dev: PciDev): Promise<SriovState | undefined> {
  if (!pciIsPcie(dev)) return undefined;
  const pos = await pciFindExtCapability(dev, PCI_EXT_CAP_ID_SRIOV);
  const c = dev.access.config;
  if (!pos || (await c.readw(pos + PCI_SRIOV_TOTAL_VF)) === 0 || (await c.readl(pos + PCI_SRIOV_SUP_PGSIZE)) === 0) return undefined;
  return {
    pos, ctrl: (await c.readw(pos + PCI_SRIOV_CTRL)) & PCI_SRIOV_CTRL_ARI, pgsz: await c.readl(pos + PCI_SRIOV_SYS_PGSIZE), numVfs: 0,
    vfBars: await readVfBars(dev, pos), vfRebarSizes: await rebarSizes(dev, PCI_EXT_CAP_ID_VF_REBAR),
  };
}
