/**
 * Downstream Port Containment (PCI_EXT_CAP_ID_DPC, 0x001d).
 * Spec: PCIe Base r6.0 7.9.14 "DPC Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_EXP_DPC_CAP (u16)     IRQ[4:0] RP_EXT[5] POISONED_TLP[6] SW_TRIGGER[7]
 *                                    RP_PIO_LOG_SIZE[11:8] DL_ACTIVE[12] RP_PIO_LOG_SIZE4[13]  RO
 *   +0x06  PCI_EXP_DPC_CTL (u16)     EN[1:0] CMPL_CTRL[2] INT_EN[3] ERR_COR_EN[4] POISONED_TLP_EN[5]
 *                                    SW_TRIGGER[6] (reads 0) DL_ACTIVE_EN[7] SIG_SFW_EN[8]    RW
 *   +0x08  PCI_EXP_DPC_STATUS (u16)  TRIGGER[0] RW1CS, TRIGGER_RSN[2:1] ROS, INTERRUPT[3] RW1CS,
 *                                    RP_BUSY[4] ROS, TRIGGER_RSN_EXT[6:5] ROS, RP_PIO_FEP[12:8] ROS,
 *                                    SIG_SFW[13] RW1CS
 *   +0x0a  PCI_EXP_DPC_SOURCE_ID     ROS
 *   Root Port extensions (RP_EXT set on a Root Port only):
 *   +0x0c  PCI_EXP_DPC_RP_PIO_STATUS     RW1CS   \
 *   +0x10  PCI_EXP_DPC_RP_PIO_MASK       RWS      | bits: Cfg UR/CA/CTO [2:0], I/O UR/CA/CTO
 *   +0x14  PCI_EXP_DPC_RP_PIO_SEVERITY   RWS      | [10:8], Mem UR/CA/CTO [18:16]
 *   +0x18  PCI_EXP_DPC_RP_PIO_SYSERROR   RWS      |
 *   +0x1c  PCI_EXP_DPC_RP_PIO_EXCEPTION  RWS     /
 *   +0x20  PCI_EXP_DPC_RP_PIO_HEADER_LOG    up to 4 DW  ROS
 *   +0x30  PCI_EXP_DPC_RP_PIO_IMPSPEC_LOG   1 DW        ROS
 *   +0x34  PCI_EXP_DPC_RP_PIO_TLPPREFIX_LOG rest        ROS
 *
 * Size: 0x0c without Root Port extensions; with them 0x20 + 4 * log size, where log size =
 * RP_PIO_LOG_SIZE | RP_PIO_LOG_SIZE4 << 4 clamped to 15 DW (PCIE_STD_MAX_TLP_HEADERLOG + 1, the
 * largest value pcie/dpc.c pci_dpc_init accepts; it rejects values below 4 and logs "RP PIO log
 * size %u is invalid"). Linux adds LOG_SIZE4 only in Flit Mode; this model has no Flit Mode flag
 * and always adds it, which only matters for a malformed non-Flit device.
 * Not modelled: the spec's per-bit defaults of the RP PIO Mask register (not verified here).
 * Save/restore (linux-pci.md 2.2): a 2-byte buffer holding PCI_EXP_DPC_CTL, pci_save_dpc_state /
 * pci_restore_dpc_state; allocated only in pcie/dpc.c dpc_probe when the portdrv service binds.
 * Reset: the status and log registers are sticky; CTL is not.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, whole, type FieldDef, type RegisterDef } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import {
  PCI_EXP_DPC_CAP, PCI_EXP_DPC_CAP_RP_EXT, PCI_EXP_DPC_CTL, PCI_EXP_DPC_RP_PIO_HEADER_LOG,
  PCI_EXP_DPC_RP_PIO_IMPSPEC_LOG, PCI_EXP_DPC_RP_PIO_TLPPREFIX_LOG, PCI_EXP_DPC_SOURCE_ID,
  PCI_EXP_DPC_STATUS, PCI_EXP_TYPE_ROOT_PORT, PCI_EXT_CAP_ID_DPC,
} from '../pci-regs.js';

/** PCIE_STD_MAX_TLP_HEADERLOG (14) + the ImpSpec Log dword. */
export const DPC_RP_PIO_LOG_MAX = 15;

const RP_PIO_BITS: readonly [string, number][] = [
  ['CFG_UR', 0], ['CFG_CA', 1], ['CFG_CTO', 2], ['IO_UR', 8], ['IO_CA', 9], ['IO_CTO', 10],
  ['MEM_UR', 16], ['MEM_CA', 17], ['MEM_CTO', 18],
];

/** Root Port extensions are present: RP_EXT set and the function is a Root Port. */
export function dpcHasRpExtensions(c: CapReader): boolean {
  return (c.readw(PCI_EXP_DPC_CAP) & PCI_EXP_DPC_CAP_RP_EXT) !== 0 && c.pcieType === PCI_EXP_TYPE_ROOT_PORT;
}

/** RP PIO log size in dwords (header log + ImpSpec + prefix log), clamped to 0..15. */
export function dpcRpLogDwords(c: CapReader): number {
  const cap = c.readw(PCI_EXP_DPC_CAP);
  const size = ((cap >>> 8) & 0xf) | (((cap >>> 13) & 1) << 4);
  return Math.min(size, DPC_RP_PIO_LOG_MAX);
}

function rpPio(name: string, offset: number, access: 'RW' | 'RW1C'): RegisterDef {
  const fields: FieldDef[] = RP_PIO_BITS.map(([n, b]) => f(`${name}_${n}`, b, access, { sticky: true }));
  return r(name, offset, 4, fields);
}

const ros = { sticky: true, volatile: true } as const;

function rpExtensions(c: CapReader): RegisterDef[] {
  const regs: RegisterDef[] = [
    rpPio('PCI_EXP_DPC_RP_PIO_STATUS', 0x0c, 'RW1C'),
    rpPio('PCI_EXP_DPC_RP_PIO_MASK', 0x10, 'RW'),
    rpPio('PCI_EXP_DPC_RP_PIO_SEVERITY', 0x14, 'RW'),
    rpPio('PCI_EXP_DPC_RP_PIO_SYSERROR', 0x18, 'RW'),
    rpPio('PCI_EXP_DPC_RP_PIO_EXCEPTION', 0x1c, 'RW'),
  ];
  const n = dpcRpLogDwords(c);
  for (let i = 0; i < Math.min(n, 4); i++) {
    regs.push(whole(`PCI_EXP_DPC_RP_PIO_HEADER_LOG[${i}]`, PCI_EXP_DPC_RP_PIO_HEADER_LOG + 4 * i, 4, 'RO', ros));
  }
  if (n >= 5) regs.push(whole('PCI_EXP_DPC_RP_PIO_IMPSPEC_LOG', PCI_EXP_DPC_RP_PIO_IMPSPEC_LOG, 4, 'RO', ros));
  for (let i = 0; i < n - 5; i++) {
    regs.push(whole(`PCI_EXP_DPC_RP_PIO_TLPPREFIX_LOG[${i}]`, PCI_EXP_DPC_RP_PIO_TLPPREFIX_LOG + 4 * i, 4, 'RO', ros));
  }
  return regs;
}

export const dpc: CapabilityDef = {
  id: PCI_EXT_CAP_ID_DPC,
  extended: true,
  key: 'dpc',
  linuxId: 'PCI_EXT_CAP_ID_DPC',
  name: 'Downstream Port Containment',
  spec: 'PCIe r6.0 7.9.14',
  version: (c) => (c.readl(0) >>> 16) & 0xf,
  size: (c) => (dpcHasRpExtensions(c) ? PCI_EXP_DPC_RP_PIO_HEADER_LOG + 4 * dpcRpLogDwords(c) : 0x0c),
  registers: (c) => [
    ...extCapHeader(),
    r('PCI_EXP_DPC_CAP', PCI_EXP_DPC_CAP, 2, [
      f('PCI_EXP_DPC_IRQ', [4, 0], 'RO', { doc: 'DPC Interrupt Message Number' }),
      f('PCI_EXP_DPC_CAP_RP_EXT', 5, 'RO'),
      f('PCI_EXP_DPC_CAP_POISONED_TLP', 6, 'RO'),
      f('PCI_EXP_DPC_CAP_SW_TRIGGER', 7, 'RO'),
      f('PCI_EXP_DPC_RP_PIO_LOG_SIZE', [11, 8], 'RO'),
      f('PCI_EXP_DPC_CAP_DL_ACTIVE', 12, 'RO'),
      f('PCI_EXP_DPC_RP_PIO_LOG_SIZE4', 13, 'RO'),
    ]),
    r('PCI_EXP_DPC_CTL', PCI_EXP_DPC_CTL, 2, [
      f('PCI_EXP_DPC_CTL_EN_MASK', [1, 0], 'RW', { doc: 'Trigger Enable: 1 = ERR_FATAL (EN_FATAL), 2 = ERR_NONFATAL too (EN_NONFATAL)' }),
      f('PCI_EXP_DPC_CTL_CMPL_CTRL', 2, 'RW', { doc: 'Completion Control (spec name)' }),
      f('PCI_EXP_DPC_CTL_INT_EN', 3, 'RW'),
      f('PCI_EXP_DPC_CTL_ERR_COR_EN', 4, 'RW', { doc: 'ERR_COR Enable (spec name)' }),
      f('PCI_EXP_DPC_CTL_POISONED_TLP_EN', 5, 'RW', { doc: 'Poisoned TLP Egress Blocking Enable (spec name)' }),
      f('PCI_EXP_DPC_CTL_SW_TRIGGER', 6, 'RW', { selfClearing: true, doc: 'Software Trigger; reads 0 (spec name)' }),
      f('PCI_EXP_DPC_CTL_DL_ACTIVE_EN', 7, 'RW', { doc: 'DL_Active ERR_COR Enable (spec name)' }),
      f('PCI_EXP_DPC_CTL_SIG_SFW_EN', 8, 'RW', { doc: 'DPC SIG_SFW Enable (spec name)' }),
    ]),
    r('PCI_EXP_DPC_STATUS', PCI_EXP_DPC_STATUS, 2, [
      f('PCI_EXP_DPC_STATUS_TRIGGER', 0, 'RW1C', { sticky: true }),
      f('PCI_EXP_DPC_STATUS_TRIGGER_RSN', [2, 1], 'RO', ros),
      f('PCI_EXP_DPC_STATUS_INTERRUPT', 3, 'RW1C', { sticky: true }),
      f('PCI_EXP_DPC_RP_BUSY', 4, 'RO', ros),
      f('PCI_EXP_DPC_STATUS_TRIGGER_RSN_EXT', [6, 5], 'RO', ros),
      f('PCI_EXP_DPC_RP_PIO_FEP', [12, 8], 'RO', ros),
      f('PCI_EXP_DPC_STATUS_SIG_SFW', 13, 'RW1C', { sticky: true, doc: 'DPC SIG_SFW Status (spec name)' }),
    ]),
    whole('PCI_EXP_DPC_SOURCE_ID', PCI_EXP_DPC_SOURCE_ID, 2, 'RO', ros),
    ...(dpcHasRpExtensions(c) ? rpExtensions(c) : []),
  ],
};
