/**
 * Single Root I/O Virtualization (PCI_EXT_CAP_ID_SRIOV, 0x0010).
 * Spec: PCIe Base r6.0 9.3.3 "SR-IOV Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_SRIOV_CAP         VFM[0] ... INTR[31:21]                   RO
 *   +0x08  PCI_SRIOV_CTRL (u16)  VFE[0] VFM[1] INTR[2] MSE[3] ARI[4]      RW
 *   +0x0a  PCI_SRIOV_STATUS      VFM[0]                                   RW1C
 *   +0x0c  PCI_SRIOV_INITIAL_VF  +0x0e PCI_SRIOV_TOTAL_VF                 HwInit
 *   +0x10  PCI_SRIOV_NUM_VF      RW      +0x12 PCI_SRIOV_FUNC_LINK (u8)  RO
 *   +0x14  PCI_SRIOV_VF_OFFSET   +0x16 PCI_SRIOV_VF_STRIDE   RO, change with NumVFs/ARI
 *   +0x1a  PCI_SRIOV_VF_DID      RO
 *   +0x1c  PCI_SRIOV_SUP_PGSIZE  RO      +0x20 PCI_SRIOV_SYS_PGSIZE  RW (default 1 = 4 KB)
 *   +0x24  PCI_SRIOV_BAR[0..5]   VF BARs: type bits RO, address bits RW
 *   +0x3c  PCI_SRIOV_VFM         VF Migration State Array Offset          RO
 *
 * Size: PCI_EXT_CAP_SRIOV_SIZEOF (0x40).
 * VF BARs: bits [3:0] of a BAR that starts a 64-bit pair (type 10b) or a 32-bit BAR are RO; the
 * upper half of a 64-bit pair is RW throughout. Address bits below the VF BAR size are RO 0 in
 * real hardware; that depends on the device and belongs to its profile.
 * Save/restore: not saved; regenerated. iov.c sriov_restore_state returns early if VF Enable is
 * already set; otherwise it restores CTRL.ARI, rewrites the VF BARs (pci_update_resource),
 * SYS_PGSIZE (iov->pgsz) and NumVFs, then CTRL (iov->ctrl) and sleeps 100 ms if VFE.
 * Reset: not sticky; FLR of the PF clears VF Enable and the rest of the control state.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type RegisterDef } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import {
  PCI_EXT_CAP_ID_SRIOV, PCI_SRIOV_BAR, PCI_SRIOV_CAP, PCI_SRIOV_CTRL, PCI_SRIOV_FUNC_LINK,
  PCI_SRIOV_INITIAL_VF, PCI_SRIOV_NUM_BARS, PCI_SRIOV_NUM_VF, PCI_SRIOV_STATUS, PCI_SRIOV_SUP_PGSIZE,
  PCI_SRIOV_SYS_PGSIZE, PCI_SRIOV_TOTAL_VF, PCI_SRIOV_VFM, PCI_SRIOV_VF_DID, PCI_SRIOV_VF_OFFSET,
  PCI_SRIOV_VF_STRIDE,
} from '../pci-regs.js';

/** VF BAR registers, splitting 64-bit pairs by the type bits actually present in the dump. */
function vfBars(c: CapReader): RegisterDef[] {
  const regs: RegisterDef[] = [];
  let upperHalf = false;
  for (let i = 0; i < PCI_SRIOV_NUM_BARS; i++) {
    const off = PCI_SRIOV_BAR + 4 * i;
    const name = `PCI_SRIOV_BAR[${i}]`;
    if (upperHalf) {
      regs.push(whole(name, off, 4, 'RW', { doc: 'upper 32 bits of the previous 64-bit VF BAR' }));
      upperHalf = false;
      continue;
    }
    const is64 = ((c.readl(off) >>> 1) & 3) === 2 && i < PCI_SRIOV_NUM_BARS - 1;
    regs.push(r(name, off, 4, [
      f('PCI_BASE_ADDRESS_SPACE', 0, 'RO', { doc: 'VF BARs are memory BARs (0)' }),
      f('PCI_BASE_ADDRESS_MEM_TYPE_MASK', [2, 1], 'RO'),
      f('PCI_BASE_ADDRESS_MEM_PREFETCH', 3, 'RO'),
      f('PCI_BASE_ADDRESS_MEM_MASK', [31, 4], 'RW'),
    ]));
    upperHalf = is64;
  }
  return regs;
}

export const sriov: CapabilityDef = {
  id: PCI_EXT_CAP_ID_SRIOV,
  extended: true,
  key: 'sriov',
  linuxId: 'PCI_EXT_CAP_ID_SRIOV',
  name: 'Single Root I/O Virtualization',
  spec: 'PCIe r6.0 9.3.3',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => 0x40,
  registers: (c) => [
    ...extCapHeader(),
    r('PCI_SRIOV_CAP', PCI_SRIOV_CAP, 4, [
      f('PCI_SRIOV_CAP_VFM', 0, 'RO'),
      f('PCI_SRIOV_CAP_ARI_PRESERVED', 1, 'RO', { doc: 'ARI Capable Hierarchy Preserved (spec name)' }),
      f('PCI_SRIOV_CAP_INTR', [31, 21], 'RO', { doc: 'VF Migration Interrupt Message Number' }),
    ]),
    r('PCI_SRIOV_CTRL', PCI_SRIOV_CTRL, 2, [
      f('PCI_SRIOV_CTRL_VFE', 0, 'RW'),
      f('PCI_SRIOV_CTRL_VFM', 1, 'RW'),
      f('PCI_SRIOV_CTRL_INTR', 2, 'RW'),
      f('PCI_SRIOV_CTRL_MSE', 3, 'RW'),
      f('PCI_SRIOV_CTRL_ARI', 4, 'RW'),
    ]),
    r('PCI_SRIOV_STATUS', PCI_SRIOV_STATUS, 2, [f('PCI_SRIOV_STATUS_VFM', 0, 'RW1C')]),
    whole('PCI_SRIOV_INITIAL_VF', PCI_SRIOV_INITIAL_VF, 2, 'HwInit'),
    whole('PCI_SRIOV_TOTAL_VF', PCI_SRIOV_TOTAL_VF, 2, 'HwInit'),
    whole('PCI_SRIOV_NUM_VF', PCI_SRIOV_NUM_VF, 2, 'RW'),
    whole('PCI_SRIOV_FUNC_LINK', PCI_SRIOV_FUNC_LINK, 1, 'RO'),
    whole('PCI_SRIOV_VF_OFFSET', PCI_SRIOV_VF_OFFSET, 2, 'RO', { volatile: true }),
    whole('PCI_SRIOV_VF_STRIDE', PCI_SRIOV_VF_STRIDE, 2, 'RO', { volatile: true }),
    whole('PCI_SRIOV_VF_DID', PCI_SRIOV_VF_DID, 2, 'RO'),
    whole('PCI_SRIOV_SUP_PGSIZE', PCI_SRIOV_SUP_PGSIZE, 4, 'RO'),
    whole('PCI_SRIOV_SYS_PGSIZE', PCI_SRIOV_SYS_PGSIZE, 4, 'RW', { reset: 1 }),
    ...vfBars(c),
    r('PCI_SRIOV_VFM', PCI_SRIOV_VFM, 4, [
      f('PCI_SRIOV_VFM_BIR', [2, 0], 'RO'),
      f('PCI_SRIOV_VFM_OFFSET', [31, 3], 'RO'),
    ]),
  ],
};
