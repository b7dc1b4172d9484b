/**
 * Access Control Services (PCI_EXT_CAP_ID_ACS, 0x000d).
 * Spec: PCIe Base r6.0 7.7.11 "ACS Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_ACS_CAP (u16)   SV[0] TB[1] RR[2] CR[3] UF[4] EC[5] DT[6]  RO
 *          PCI_ACS_EGRESS_BITS (+0x05, the CAP high byte): Egress Control Vector Size, 0 = 256
 *   +0x06  PCI_ACS_CTRL (u16)  the same seven enables                      RW
 *   +0x08  PCI_ACS_EGRESS_CTL_V  ceil(N/32) dwords, present only when PCI_ACS_EC is set  RW
 *
 * Size: 8, plus 4 * ceil(N/32) with EC (N = vector size, 1..256: at most 8 dwords, so at most 0x28).
 * Save/restore: not saved; regenerated (linux-pci.md 4): pci_restore_state calls pci_enable_acs,
 * which recomputes PCI_ACS_CTRL from the kernel's policy, not from the old register. The PCI Live
 * Update series (linux-pci.md 10) adds saving and re-adopting ACS_CTRL. The egress vector is
 * never written by Linux.
 * Reset: not sticky; conventional reset and FLR clear ACS_CTRL.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type FieldDef, type RegisterDef } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import { PCI_ACS_CAP, PCI_ACS_CTRL, PCI_ACS_EC, PCI_ACS_EGRESS_CTL_V, PCI_EXT_CAP_ID_ACS } from '../pci-regs.js';

const ACS_BITS: readonly [string, number][] = [
  ['PCI_ACS_SV', 0], ['PCI_ACS_TB', 1], ['PCI_ACS_RR', 2], ['PCI_ACS_CR', 3],
  ['PCI_ACS_UF', 4], ['PCI_ACS_EC', 5], ['PCI_ACS_DT', 6],
];

const bits = (access: 'RO' | 'RW'): FieldDef[] => ACS_BITS.map(([n, b]) => f(n, b, access));

/** Egress Control Vector dwords (0 when the capability lacks P2P Egress Control). */
export function acsEgressDwords(c: CapReader): number {
  const cap = c.readw(PCI_ACS_CAP);
  if ((cap & PCI_ACS_EC) === 0) return 0;
  const n = cap >>> 8 || 256;
  return Math.ceil(n / 32);
}

export const acs: CapabilityDef = {
  id: PCI_EXT_CAP_ID_ACS,
  extended: true,
  key: 'acs',
  linuxId: 'PCI_EXT_CAP_ID_ACS',
  name: 'Access Control Services',
  spec: 'PCIe r6.0 7.7.11',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: (c) => 8 + 4 * acsEgressDwords(c),
  registers: (c) => {
    const regs: RegisterDef[] = [
      ...extCapHeader(),
      r('PCI_ACS_CAP', PCI_ACS_CAP, 2, [...bits('RO'), f('PCI_ACS_EGRESS_BITS', [15, 8], 'RO')]),
      r('PCI_ACS_CTRL', PCI_ACS_CTRL, 2, bits('RW')),
    ];
    for (let i = 0; i < acsEgressDwords(c); i++) {
      regs.push(whole(`PCI_ACS_EGRESS_CTL_V[${i}]`, PCI_ACS_EGRESS_CTL_V + 4 * i, 4, 'RW'));
    }
    return regs;
  },
};
