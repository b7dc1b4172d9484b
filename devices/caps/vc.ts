/**
 * Virtual Channel (PCI_EXT_CAP_ID_VC 0x0002 and PCI_EXT_CAP_ID_VC9 0x0009) and Multi-Function
 * Virtual Channel (PCI_EXT_CAP_ID_MFVC 0x0008). All three share one layout.
 * Spec: PCIe Base r6.0 7.9.1 "Virtual Channel Extended Capability", 7.9.2 "MFVC Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_VC_PORT_CAP1     EVCC[2:0] LPEVCC[6:4] REF_CLK[9:8] ARB_SIZE[11:10]    RO
 *   +0x08  PCI_VC_PORT_CAP2     arbitration capability[7:0], ARB_OFF[31:24]           RO
 *   +0x0c  PCI_VC_PORT_CTRL     LOAD_TABLE[0] (reads 0), ARB_SELECT[3:1]              RW
 *   +0x0e  PCI_VC_PORT_STATUS   TABLE[0]                                              RO
 *   per VC i = 0..EVCC, at +0x10 + 0x0c*i:
 *   +0x00  PCI_VC_RES_CAP[i]    arbitration capability[7:0], REJECT_SNOOP[15],
 *                               MAX_TIME_SLOTS[22:16], ARB_OFF[31:24]                 RO
 *   +0x04  PCI_VC_RES_CTRL[i]   TC_VC_MAP[7:0], LOAD_TABLE[16], ARB_SELECT[19:17], ID[26:24],
 *                               ENABLE[31]                                            RW
 *   +0x0a  PCI_VC_RES_STATUS[i] TABLE[0] NEGO[1]                                      RO
 *
 * Size: PCI_CAP_VC_BASE_SIZEOF + PCI_CAP_VC_PER_VC_SIZEOF * (EVCC + 1) = 0x10 + 0x0c*(EVCC+1);
 * EVCC is 3 bits, so at most 0x70. The VC and port (function) arbitration tables are not part of
 * this structure: they sit at 16-byte multiples given by PCI_VC_CAP2_ARB_OFF and
 * PCI_VC_RES_CAP_ARB_OFF from the capability start (vc.c pci_vc_do_save_buffer locates them the
 * same way) and are not modelled here.
 * VC0 (r6.0 7.9.1.7): TC/VC map bit 0 is RO 1 (TC0 always maps to VC0), default map 0xff; VC ID is
 * RO 0; VC Enable is RO 1. Other VCs: map default 0, enable default 0.
 * Save/restore (linux-pci.md 2.4, vc.c pci_vc_do_save_buffer): Port VC Control, the VC arbitration
 * table (when LPEVCC and ARB_OFF are nonzero), then per VC the port arbitration table (when its
 * offset is nonzero) and the Resource Control dword. Restore keeps the hardware's current
 * VC Enable bit and reloads tables. Buffers are allocated in vc.c pci_allocate_vc_save_buffers
 * in the order MFVC, VC, VC9.
 * Reset: not sticky; FLR and conventional reset return the controls to their defaults.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, type RegisterDef } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import {
  PCI_CAP_VC_BASE_SIZEOF, PCI_CAP_VC_PER_VC_SIZEOF, PCI_EXT_CAP_ID_MFVC, PCI_EXT_CAP_ID_VC,
  PCI_EXT_CAP_ID_VC9, PCI_VC_PORT_CAP1, PCI_VC_PORT_CAP2, PCI_VC_PORT_CTRL, PCI_VC_PORT_STATUS,
} from '../pci-regs.js';

/** Number of VC resource register sets: Extended VC Count + 1 (1..8). */
export function vcResourceCount(c: CapReader): number {
  return (c.readl(PCI_VC_PORT_CAP1) & 7) + 1;
}

function resource(i: number): RegisterDef[] {
  const base = PCI_CAP_VC_BASE_SIZEOF + PCI_CAP_VC_PER_VC_SIZEOF * i;
  const vc0 = i === 0;
  return [
    r(`PCI_VC_RES_CAP[${i}]`, base, 4, [
      f('PCI_VC_RES_CAP_ARB_CAP', [7, 0], 'RO', { doc: 'Port Arbitration Capability (PCI_VC_RES_CAP_*_PHASE bits)' }),
      f('PCI_VC_RES_CAP_REJECT_SNOOP', 15, 'RO'),
      f('PCI_VC_RES_CAP_MAX_TIME_SLOTS', [22, 16], 'HwInit'),
      f('PCI_VC_RES_CAP_ARB_OFF', [31, 24], 'RO', { doc: 'Port Arbitration Table Offset, in 16-byte units' }),
    ]),
    r(`PCI_VC_RES_CTRL[${i}]`, base + 4, 4, [
      ...(vc0
        ? [f('PCI_VC_RES_CTRL_TC0', 0, 'RO', { doc: 'TC0 always maps to VC0 (reads 1)' }), f('PCI_VC_RES_CTRL_TC_VC_MAP', [7, 1], 'RW', { reset: 0x7f })]
        : [f('PCI_VC_RES_CTRL_TC_VC_MAP', [7, 0], 'RW')]),
      f('PCI_VC_RES_CTRL_LOAD_TABLE', 16, 'RW', { selfClearing: true }),
      f('PCI_VC_RES_CTRL_ARB_SELECT', [19, 17], 'RW'),
      f('PCI_VC_RES_CTRL_ID', [26, 24], vc0 ? 'RO' : 'RW'),
      f('PCI_VC_RES_CTRL_ENABLE', 31, vc0 ? 'RO' : 'RW', vc0 ? { doc: 'VC0 is always enabled (reads 1)' } : {}),
    ]),
    r(`PCI_VC_RES_STATUS[${i}]`, base + 0x0a, 2, [
      f('PCI_VC_RES_STATUS_TABLE', 0, 'RO', { volatile: true }),
      f('PCI_VC_RES_STATUS_NEGO', 1, 'RO', { volatile: true }),
    ]),
  ];
}

function vcLayout(id: number, key: string, linuxId: string, name: string, spec: string): CapabilityDef {
  return {
    id,
    extended: true,
    key,
    linuxId,
    name,
    spec,
    version: (c) => (c.readl(0) >>> 16) & 0xf,
    size: (c) => PCI_CAP_VC_BASE_SIZEOF + PCI_CAP_VC_PER_VC_SIZEOF * vcResourceCount(c),
    registers: (c) => [
      ...extCapHeader(),
      r('PCI_VC_PORT_CAP1', PCI_VC_PORT_CAP1, 4, [
        f('PCI_VC_CAP1_EVCC', [2, 0], 'RO'),
        f('PCI_VC_CAP1_LPEVCC', [6, 4], 'RO'),
        f('PCI_VC_CAP1_REF_CLK', [9, 8], 'RO', { doc: 'Reference Clock (spec name)' }),
        f('PCI_VC_CAP1_ARB_SIZE', [11, 10], 'RO'),
      ]),
      r('PCI_VC_PORT_CAP2', PCI_VC_PORT_CAP2, 4, [
        f('PCI_VC_CAP2_ARB_CAP', [7, 0], 'RO', { doc: 'VC Arbitration Capability (PCI_VC_CAP2_*_PHASE bits)' }),
        f('PCI_VC_CAP2_ARB_OFF', [31, 24], 'RO', { doc: 'VC Arbitration Table Offset, in 16-byte units' }),
      ]),
      r('PCI_VC_PORT_CTRL', PCI_VC_PORT_CTRL, 2, [
        f('PCI_VC_PORT_CTRL_LOAD_TABLE', 0, 'RW', { selfClearing: true }),
        f('PCI_VC_PORT_CTRL_ARB_SELECT', [3, 1], 'RW'),
      ]),
      r('PCI_VC_PORT_STATUS', PCI_VC_PORT_STATUS, 2, [f('PCI_VC_PORT_STATUS_TABLE', 0, 'RO', { volatile: true })]),
      ...Array.from({ length: vcResourceCount(c) }, (_, i) => resource(i)).flat(),
    ],
  };
}

export const vc = vcLayout(PCI_EXT_CAP_ID_VC, 'vc', 'PCI_EXT_CAP_ID_VC', 'Virtual Channel', 'PCIe r6.0 7.9.1');
export const vc9 = vcLayout(PCI_EXT_CAP_ID_VC9, 'vc9', 'PCI_EXT_CAP_ID_VC9', 'Virtual Channel (ID 9)', 'PCIe r6.0 7.9.1');
export const mfvc = vcLayout(PCI_EXT_CAP_ID_MFVC, 'mfvc', 'PCI_EXT_CAP_ID_MFVC', 'Multi-Function Virtual Channel', 'PCIe r6.0 7.9.2');
