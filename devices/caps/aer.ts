/**
 * Advanced Error Reporting (PCI_EXT_CAP_ID_ERR, 0x0001).
 * Spec: PCIe Base r6.0 7.8.4 "Advanced Error Reporting Extended Capability".
 *
 *   +0x00  PCI_EXT_CAP_HEADER
 *   +0x04  PCI_ERR_UNCOR_STATUS   RW1CS
 *   +0x08  PCI_ERR_UNCOR_MASK     RWS  (default 0)
 *   +0x0c  PCI_ERR_UNCOR_SEVER    RWS  (default 0x00462030)
 *   +0x10  PCI_ERR_COR_STATUS     RW1CS
 *   +0x14  PCI_ERR_COR_MASK       RWS  (default 0x0000e000)
 *   +0x18  PCI_ERR_CAP            FEP[4:0] ROS | ECRC GENC/GENE/CHKC/CHKE | MHRC/MHRE | TLP log bits
 *   +0x1c  PCI_ERR_HEADER_LOG     4 DW, ROS
 *   +0x2c  PCI_ERR_ROOT_COMMAND   RW     \
 *   +0x30  PCI_ERR_ROOT_STATUS    RW1CS   > Root Ports and RCECs only; RsvdP on other functions
 *   +0x34  PCI_ERR_ROOT_ERR_SRC   ROS    /
 *   +0x38  PCI_ERR_PREFIX_LOG     4 DW, ROS (version >= 2 with End-End TLP Prefix support)
 *
 * Variants: pcieType 4 (Root Port) or 10 (RCEC) adds the three root registers (pcie_cap_has_rtctl
 * in Linux). The TLP Prefix Log (0x38-0x47) exists only when the function supports End-End TLP
 * Prefixes (PCIe r6.0 7.8.4.12: PCI_EXP_DEVCAP2_EE_PREFIX, DEVCAP2 bit 21), so the structure is
 * 0x48 bytes then and 0x38 otherwise. QEMU 7.2 reserves PCI_ERR_SIZEOF = 0x48 when it places the
 * next capability itself (root ports: ACS at 0x148), but e1000e puts DSN at 0x140
 * (hw/net/e1000e.c), which only fits because e1000e has no TLP prefix support: a fixed 0x48 would
 * make the walker report a false overlap there.
 *
 * Defaults: UNCOR_SEVER = DLP|SURPDN|FCP|RX_OVER|MALF_TLP|INTN = 0x00462030 and COR_MASK =
 * ADV_NFAT|INTERNAL|LOG_OVER = 0xe000, as QEMU's PCI_ERR_UNC_SEVERITY_DEFAULT and
 * PCI_ERR_COR_MASK_DEFAULT state them. QEMU 7.2 departs from the spec (qemu.md 2: pcie_aer_init
 * leaves UNCOR_MASK read-only 0, and no reset touches AER): device profiles declare that.
 *
 * Save/restore (linux-pci.md 2.2, pcie/aer.c pci_save_aer_state/pci_restore_aer_state): Linux
 * saves UNCOR_MASK, UNCOR_SEVER, COR_MASK, CAP (16 bytes) plus ROOT_COMMAND on Root Ports and
 * RCECs (20 bytes). It never saves the status registers, HEADER_LOG, ROOT_STATUS or ERR_SRC;
 * pci_restore_state calls pci_aer_clear_status before pci_restore_aer_state.
 * Reset: everything but ROOT_COMMAND is sticky (RWS/RW1CS/ROS) and survives FLR and hot reset.
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, type FieldDef, type RegisterDef } from '../registers.js';
import { extCapHeader } from './header-fields.js';
import {
  PCI_ERR_CAP, PCI_ERR_COR_MASK, PCI_ERR_COR_STATUS, PCI_ERR_HEADER_LOG, PCI_ERR_PREFIX_LOG,
  PCI_ERR_ROOT_COMMAND, PCI_ERR_ROOT_ERR_SRC, PCI_ERR_ROOT_STATUS, PCI_ERR_UNCOR_MASK, PCI_ERR_UNCOR_SEVER,
  PCI_ERR_UNCOR_STATUS, PCI_EXP_DEVCAP2_EE_PREFIX, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_ROOT_PORT,
  PCI_EXT_CAP_ID_ERR,
} from '../pci-regs.js';

/** QEMU include/hw/pci/pcie_regs.h reset values of UNCOR_SEVER and COR_MASK (not in Linux's pci_regs.h). */
export const PCI_ERR_UNC_SEVERITY_DEFAULT = 0x00462030;
export const PCI_ERR_COR_MASK_DEFAULT = 0x0000e000;

/** Uncorrectable error bits (pci_regs.h PCI_ERR_UNC_*), shared by STATUS, MASK and SEVER. */
const UNCOR_BITS: readonly [name: string, bit: number][] = [
  ['PCI_ERR_UNC_DLP', 4], ['PCI_ERR_UNC_SURPDN', 5], ['PCI_ERR_UNC_POISON_TLP', 12],
  ['PCI_ERR_UNC_FCP', 13], ['PCI_ERR_UNC_COMP_TIME', 14], ['PCI_ERR_UNC_COMP_ABORT', 15],
  ['PCI_ERR_UNC_UNX_COMP', 16], ['PCI_ERR_UNC_RX_OVER', 17], ['PCI_ERR_UNC_MALF_TLP', 18],
  ['PCI_ERR_UNC_ECRC', 19], ['PCI_ERR_UNC_UNSUP', 20], ['PCI_ERR_UNC_ACSV', 21],
  ['PCI_ERR_UNC_INTN', 22], ['PCI_ERR_UNC_MCBTLP', 23], ['PCI_ERR_UNC_ATOMEG', 24],
  ['PCI_ERR_UNC_TLPPRE', 25], ['PCI_ERR_UNC_POISON_BLK', 26], ['PCI_ERR_UNC_DMWR_BLK', 27],
  ['PCI_ERR_UNC_IDE_CHECK', 28], ['PCI_ERR_UNC_MISR_IDE', 29], ['PCI_ERR_UNC_PCRC_CHECK', 30],
  ['PCI_ERR_UNC_XLAT_BLK', 31],
];

/** Correctable error bits (pci_regs.h PCI_ERR_COR_*), shared by STATUS and MASK. */
const COR_BITS: readonly [name: string, bit: number][] = [
  ['PCI_ERR_COR_RCVR', 0], ['PCI_ERR_COR_BAD_TLP', 6], ['PCI_ERR_COR_BAD_DLLP', 7],
  ['PCI_ERR_COR_REP_ROLL', 8], ['PCI_ERR_COR_REP_TIMER', 12], ['PCI_ERR_COR_ADV_NFAT', 13],
  ['PCI_ERR_COR_INTERNAL', 14], ['PCI_ERR_COR_LOG_OVER', 15],
];

function bitFields(
  bits: readonly [string, number][],
  access: 'RW' | 'RW1C',
  defaults = 0,
): FieldDef[] {
  return bits.map(([name, bit]) => f(name, bit, access, {
    sticky: true,
    ...((defaults >>> bit) & 1 ? { reset: 1 } : {}),
  }));
}

function logDwords(name: string, offset: number, count: number): RegisterDef[] {
  return Array.from({ length: count }, (_, i) =>
    r(`${name}[${i}]`, offset + 4 * i, 4, [f(`${name}[${i}]`, [31, 0], 'RO', { sticky: true, volatile: true })]));
}

export function aerIsRoot(c: CapReader): boolean {
  return c.pcieType === PCI_EXP_TYPE_ROOT_PORT || c.pcieType === PCI_EXP_TYPE_RC_EC;
}

const version = (c: CapReader) => (c.readl(0) >>> 16) & 0xf;

export const aer: CapabilityDef = {
  id: PCI_EXT_CAP_ID_ERR,
  extended: true,
  key: 'aer',
  linuxId: 'PCI_EXT_CAP_ID_ERR',
  name: 'Advanced Error Reporting',
  spec: 'PCIe r6.0 7.8.4',
  version,
  size: (c) => (version(c) >= 2 && ((c.pcieDevcap2 ?? 0) & PCI_EXP_DEVCAP2_EE_PREFIX) !== 0 ? 0x48 : 0x38),
  registers: (c) => {
    const regs: RegisterDef[] = [
      ...extCapHeader(),
      r('PCI_ERR_UNCOR_STATUS', PCI_ERR_UNCOR_STATUS, 4, [
        f('PCI_ERR_UNC_UND', 0, 'RO', { doc: 'Undefined (was Training Error)' }),
        ...bitFields(UNCOR_BITS, 'RW1C'),
      ]),
      r('PCI_ERR_UNCOR_MASK', PCI_ERR_UNCOR_MASK, 4, [
        f('PCI_ERR_UNC_UND', 0, 'RO'),
        ...bitFields(UNCOR_BITS, 'RW'),
      ]),
      r('PCI_ERR_UNCOR_SEVER', PCI_ERR_UNCOR_SEVER, 4, [
        f('PCI_ERR_UNC_UND', 0, 'RO'),
        ...bitFields(UNCOR_BITS, 'RW', PCI_ERR_UNC_SEVERITY_DEFAULT),
      ]),
      r('PCI_ERR_COR_STATUS', PCI_ERR_COR_STATUS, 4, bitFields(COR_BITS, 'RW1C')),
      r('PCI_ERR_COR_MASK', PCI_ERR_COR_MASK, 4, bitFields(COR_BITS, 'RW', PCI_ERR_COR_MASK_DEFAULT)),
      r('PCI_ERR_CAP', PCI_ERR_CAP, 4, [
        f('PCI_ERR_CAP_FEP', [4, 0], 'RO', { sticky: true, volatile: true, doc: 'First Error Pointer (ROS)' }),
        f('PCI_ERR_CAP_ECRC_GENC', 5, 'RO'),
        f('PCI_ERR_CAP_ECRC_GENE', 6, 'RW', { sticky: true }),
        f('PCI_ERR_CAP_ECRC_CHKC', 7, 'RO'),
        f('PCI_ERR_CAP_ECRC_CHKE', 8, 'RW', { sticky: true }),
        // Linux has no names for bits 9/10; these are QEMU's (include/hw/pci/pcie_regs.h).
        f('PCI_ERR_CAP_MHRC', 9, 'RO', { doc: 'Multiple Header Recording Capable' }),
        f('PCI_ERR_CAP_MHRE', 10, 'RW', { sticky: true, doc: 'Multiple Header Recording Enable' }),
        f('PCI_ERR_CAP_PREFIX_LOG_PRESENT', 11, 'RO', { sticky: true, volatile: true }),
        f('PCI_ERR_CAP_COMP_TIME_LOG', 12, 'RO'),
        f('PCI_ERR_CAP_TLP_LOG_FLIT', 18, 'RO', { sticky: true, volatile: true }),
        f('PCI_ERR_CAP_TLP_LOG_SIZE', [23, 19], 'RO', { sticky: true, volatile: true }),
      ]),
      ...logDwords('PCI_ERR_HEADER_LOG', PCI_ERR_HEADER_LOG, 4),
    ];
    if (aerIsRoot(c)) {
      regs.push(
        r('PCI_ERR_ROOT_COMMAND', PCI_ERR_ROOT_COMMAND, 4, [
          f('PCI_ERR_ROOT_CMD_COR_EN', 0, 'RW'),
          f('PCI_ERR_ROOT_CMD_NONFATAL_EN', 1, 'RW'),
          f('PCI_ERR_ROOT_CMD_FATAL_EN', 2, 'RW'),
        ]),
        r('PCI_ERR_ROOT_STATUS', PCI_ERR_ROOT_STATUS, 4, [
          f('PCI_ERR_ROOT_COR_RCV', 0, 'RW1C', { sticky: true }),
          f('PCI_ERR_ROOT_MULTI_COR_RCV', 1, 'RW1C', { sticky: true }),
          f('PCI_ERR_ROOT_UNCOR_RCV', 2, 'RW1C', { sticky: true }),
          f('PCI_ERR_ROOT_MULTI_UNCOR_RCV', 3, 'RW1C', { sticky: true }),
          f('PCI_ERR_ROOT_FIRST_FATAL', 4, 'RW1C', { sticky: true }),
          f('PCI_ERR_ROOT_NONFATAL_RCV', 5, 'RW1C', { sticky: true }),
          f('PCI_ERR_ROOT_FATAL_RCV', 6, 'RW1C', { sticky: true }),
          // Hardware rewrites the message number when the MSI/MSI-X vector count changes.
          f('PCI_ERR_ROOT_AER_IRQ', [31, 27], 'RO', { volatile: true }),
        ]),
        r('PCI_ERR_ROOT_ERR_SRC', PCI_ERR_ROOT_ERR_SRC, 4, [
          f('PCI_ERR_ROOT_ERR_SRC_COR', [15, 0], 'RO', { sticky: true, volatile: true, doc: 'ERR_COR Source Identification' }),
          f('PCI_ERR_ROOT_ERR_SRC_UNCOR', [31, 16], 'RO', { sticky: true, volatile: true, doc: 'ERR_FATAL/NONFATAL Source Identification' }),
        ]),
      );
    } else {
      // Not a Root Port or RCEC: the root registers are reserved (RsvdP, read-only in the model).
      regs.push(r('PCI_ERR_RSVD_2C', 0x2c, 4, []), r('PCI_ERR_RSVD_30', 0x30, 4, []), r('PCI_ERR_RSVD_34', 0x34, 4, []));
    }
    if (version(c) >= 2 && ((c.pcieDevcap2 ?? 0) & PCI_EXP_DEVCAP2_EE_PREFIX) !== 0) regs.push(...logDwords('PCI_ERR_PREFIX_LOG', PCI_ERR_PREFIX_LOG, 4));
    return regs;
  },
};
