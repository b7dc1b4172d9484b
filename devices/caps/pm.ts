/**
 * PCI Power Management capability (PCI_CAP_ID_PM, 0x01).
 * Spec: PCI Bus Power Management Interface Specification r1.2 section 3.2; PCIe Base r6.0 7.5.2.
 *
 *   +0x00  PCI_CAP_LIST_ID | PCI_CAP_LIST_NEXT | PCI_PM_PMC (u16)
 *   +0x04  PCI_PM_CTRL (PMCSR, u16) | PCI_PM_PPB_EXTENSIONS (u8) | PCI_PM_DATA_REGISTER (u8)
 *
 * Save/restore: Linux saves nothing of it in pci_save_state; the power state is driven by
 * pci_set_power_state / pci_power_up (linux-pci.md section 2.2 "Not saved at all").
 * Reset: PMCSR PowerState returns to D0 on FLR and conventional reset; PME_Status and PME_En are
 * sticky when the function supports PME from D3cold (r1.2 3.2.4). A D3hot->D0 transition resets
 * the function unless NoSoftRst is set (PCIe r6.0 5.3.1.4); QEMU 7.2 never does (qemu.md 2.2).
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { capHeader } from './header-fields.js';
import { PCI_CAP_ID_PM, PCI_PM_CTRL, PCI_PM_DATA_REGISTER, PCI_PM_PMC, PCI_PM_PPB_EXTENSIONS } from '../pci-regs.js';

export const PCI_D0 = 0;
export const PCI_D3hot = 3;

export const pm: CapabilityDef = {
  id: PCI_CAP_ID_PM,
  extended: false,
  key: 'pm',
  linuxId: 'PCI_CAP_ID_PM',
  name: 'Power Management',
  spec: 'PCI PM r1.2 3.2; PCIe r6.0 7.5.2',
  version: (c) => c.readw(PCI_PM_PMC) & 0x7,
  size: () => 8,
  registers: () => [
    ...capHeader(),
    r('PCI_PM_PMC', PCI_PM_PMC, 2, [
      f('PCI_PM_CAP_VER_MASK', [2, 0], 'RO'),
      f('PCI_PM_CAP_PME_CLOCK', 3, 'RO'),
      f('PCI_PM_CAP_RESERVED', 4, 'RO', { doc: 'Immediate_Readiness_on_Return_to_D0 in PCIe r6.0' }),
      f('PCI_PM_CAP_DSI', 5, 'RO'),
      f('PCI_PM_CAP_AUX_POWER', [8, 6], 'RO'),
      f('PCI_PM_CAP_D1', 9, 'RO'),
      f('PCI_PM_CAP_D2', 10, 'RO'),
      f('PCI_PM_CAP_PME_MASK', [15, 11], 'RO'),
    ]),
    r('PCI_PM_CTRL', PCI_PM_CTRL, 2, [
      f('PCI_PM_CTRL_STATE_MASK', [1, 0], 'RW', { doc: 'PowerState: 0=D0 1=D1 2=D2 3=D3hot' }),
      f('PCI_PM_CTRL_NO_SOFT_RESET', 3, 'RO', { doc: 'No_Soft_Reset: D3hot->D0 does not reset the function' }),
      f('PCI_PM_CTRL_PME_ENABLE', 8, 'RW', { sticky: true }),
      f('PCI_PM_CTRL_DATA_SEL_MASK', [12, 9], 'RW'),
      f('PCI_PM_CTRL_DATA_SCALE_MASK', [14, 13], 'RO'),
      f('PCI_PM_CTRL_PME_STATUS', 15, 'RW1C', { sticky: true }),
    ]),
    r('PCI_PM_PPB_EXTENSIONS', PCI_PM_PPB_EXTENSIONS, 1, [
      f('PCI_PM_PPB_B2_B3', 6, 'RO'),
      f('PCI_PM_BPCC_ENABLE', 7, 'RO'),
    ]),
    whole('PCI_PM_DATA_REGISTER', PCI_PM_DATA_REGISTER, 1, 'RO', { volatile: true }),
  ],
};
