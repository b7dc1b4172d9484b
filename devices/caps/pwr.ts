/**
 * Power Budgeting (PCI_EXT_CAP_ID_PWR, 0x0004).
 * Spec: PCIe Base r6.0 7.8.1 "Power Budgeting Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_PWR_DSR (u8)    Data Select: which entry PCI_PWR_DATA shows   RW
 *   +0x08  PCI_PWR_DATA (u32)  the selected entry: base power [7:0], scale [9:8], PM sub state
 *                              [12:10], PM state [14:13], type [17:15], power rail [20:18]   RO
 *   +0x0c  PCI_PWR_CAP (u8)    System Allocated [0] (PCI_PWR_CAP_BUDGET)   HwInit
 *
 * Size: PCI_EXT_CAP_PWR_SIZEOF (0x10). The entries behind Data Select are the device's; the model
 * shows the one the dump captured whatever is selected.
 * Save/restore: Linux saves none of it. Reset: Data Select returns to 0.
 */
import type { CapabilityDef } from '../capability.js';
import { f, r, whole } from '../registers.js';
import { extCapHeader } from './header-fields.js';

export const PCI_EXT_CAP_ID_PWR = 0x04;
export const PCI_PWR_DSR = 0x04;
export const PCI_PWR_DATA = 0x08;
export const PCI_PWR_CAP = 0x0c;
export const PCI_EXT_CAP_PWR_SIZEOF = 0x10;

export const pwr: CapabilityDef = {
  id: PCI_EXT_CAP_ID_PWR,
  extended: true,
  key: 'pwr',
  linuxId: 'PCI_EXT_CAP_ID_PWR',
  name: 'Power Budgeting',
  spec: 'PCIe r6.0 7.8.1',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: () => PCI_EXT_CAP_PWR_SIZEOF,
  registers: () => [
    ...extCapHeader(),
    whole('PCI_PWR_DSR', PCI_PWR_DSR, 1, 'RW'),
    r('PCI_PWR_DATA', PCI_PWR_DATA, 4, [
      f('PCI_PWR_DATA_BASE', [7, 0], 'RO'), f('PCI_PWR_DATA_SCALE', [9, 8], 'RO'), f('PCI_PWR_DATA_PM_SUB', [12, 10], 'RO'),
      f('PCI_PWR_DATA_PM_STATE', [14, 13], 'RO'), f('PCI_PWR_DATA_TYPE', [17, 15], 'RO'), f('PCI_PWR_DATA_RAIL', [20, 18], 'RO'),
    ]),
    r('PCI_PWR_CAP', PCI_PWR_CAP, 1, [f('PCI_PWR_CAP_BUDGET', 0, 'HwInit')]),
  ],
};
