/**
 * L1 PM Substates (PCI_EXT_CAP_ID_L1SS, 0x001e).
 * Spec: PCIe Base r6.0 7.8.3 "L1 PM Substates Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_L1SS_CAP   PCIPM_L1_2[0] PCIPM_L1_1[1] ASPM_L1_2[2] ASPM_L1_1[3] L1_PM_SS[4]
 *                         CM_RESTORE_TIME[15:8] P_PWR_ON_SCALE[17:16] P_PWR_ON_VALUE[23:19]
 *   +0x08  PCI_L1SS_CTL1  enables[3:0] CM_RESTORE_TIME[15:8] LTR_L12_TH_VALUE[25:16]
 *                         LTR_L12_TH_SCALE[31:29]                                         RW
 *   +0x0c  PCI_L1SS_CTL2  T_PWR_ON_SCALE[1:0] T_PWR_ON_VALUE[7:3]                         RW
 *
 * Size: 0x10 (the r5.0+ L1 PM Substates Status register at +0x10 has no pci_regs.h name and is
 * not modelled).
 * Save/restore (linux-pci.md 2.2, 3.4): an 8-byte buffer u32[0] = CTL2, u32[1] = CTL1 (CTL2 first),
 * pcie/aspm.c pci_save_aspm_l1ss_state / pci_restore_aspm_l1ss_state. Present in v6.1 final,
 * absent in 6.1.y after the revert, present again in v6.12+ (allocated in pci_configure_aspm_l1ss).
 * Reset: not sticky. T_POWER_ON Value defaults to 00101b (r6.0 7.8.3.4).
 */
import type { CapabilityDef } from '../capability.js';
import { f, r } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_EXT_CAP_ID_L1SS, PCI_L1SS_CAP, PCI_L1SS_CTL1, PCI_L1SS_CTL2 } from '../pci-regs.js';

export const l1ss: CapabilityDef = {
  id: PCI_EXT_CAP_ID_L1SS,
  extended: true,
  key: 'l1ss',
  linuxId: 'PCI_EXT_CAP_ID_L1SS',
  name: 'L1 PM Substates',
  spec: 'PCIe r6.0 7.8.3',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => 0x10,
  registers: () => [
    ...extCapHeader(),
    r('PCI_L1SS_CAP', PCI_L1SS_CAP, 4, [
      f('PCI_L1SS_CAP_PCIPM_L1_2', 0, 'RO'),
      f('PCI_L1SS_CAP_PCIPM_L1_1', 1, 'RO'),
      f('PCI_L1SS_CAP_ASPM_L1_2', 2, 'RO'),
      f('PCI_L1SS_CAP_ASPM_L1_1', 3, 'RO'),
      f('PCI_L1SS_CAP_L1_PM_SS', 4, 'RO'),
      f('PCI_L1SS_CAP_CM_RESTORE_TIME', [15, 8], 'HwInit'),
      f('PCI_L1SS_CAP_P_PWR_ON_SCALE', [17, 16], 'HwInit'),
      f('PCI_L1SS_CAP_P_PWR_ON_VALUE', [23, 19], 'HwInit'),
    ]),
    r('PCI_L1SS_CTL1', PCI_L1SS_CTL1, 4, [
      f('PCI_L1SS_CTL1_PCIPM_L1_2', 0, 'RW'),
      f('PCI_L1SS_CTL1_PCIPM_L1_1', 1, 'RW'),
      f('PCI_L1SS_CTL1_ASPM_L1_2', 2, 'RW'),
      f('PCI_L1SS_CTL1_ASPM_L1_1', 3, 'RW'),
      f('PCI_L1SS_CTL1_CM_RESTORE_TIME', [15, 8], 'RW'),
      f('PCI_L1SS_CTL1_LTR_L12_TH_VALUE', [25, 16], 'RW'),
      f('PCI_L1SS_CTL1_LTR_L12_TH_SCALE', [31, 29], 'RW'),
    ]),
    r('PCI_L1SS_CTL2', PCI_L1SS_CTL2, 4, [
      f('PCI_L1SS_CTL2_T_PWR_ON_SCALE', [1, 0], 'RW'),
      f('PCI_L1SS_CTL2_T_PWR_ON_VALUE', [7, 3], 'RW', { reset: 0b00101 }),
    ]),
  ],
};
