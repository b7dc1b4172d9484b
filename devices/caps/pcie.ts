/**
 * PCI Express capability (PCI_CAP_ID_EXP, 0x10).
 * Spec: PCIe Base r6.0 7.5.3 (field attributes), r1.1 7.8 (the version 1 structure).
 *
 *   +0x00 ID | NEXT | PCI_EXP_FLAGS      +0x04 PCI_EXP_DEVCAP
 *   +0x08 PCI_EXP_DEVCTL | PCI_EXP_DEVSTA +0x0c PCI_EXP_LNKCAP
 *   +0x10 PCI_EXP_LNKCTL | PCI_EXP_LNKSTA +0x14 PCI_EXP_SLTCAP
 *   +0x18 PCI_EXP_SLTCTL | PCI_EXP_SLTSTA +0x1c PCI_EXP_RTCTL | PCI_EXP_RTCAP
 *   +0x20 PCI_EXP_RTSTA                   -- version 2 only below --
 *   +0x24 PCI_EXP_DEVCAP2                 +0x28 PCI_EXP_DEVCTL2 | PCI_EXP_DEVSTA2
 *   +0x2c PCI_EXP_LNKCAP2                 +0x30 PCI_EXP_LNKCTL2 | PCI_EXP_LNKSTA2
 *   +0x34 PCI_EXP_SLTCAP2                 +0x38 PCI_EXP_SLTCTL2 | PCI_EXP_SLTSTA2
 *
 * Which registers exist follows Linux drivers/pci/access.c pcie_capability_reg_implemented:
 * DEV* always; LNK* for types 0,1,4,5,6,7,8 (pcie_cap_has_lnkctl); SLT* for downstream ports
 * 4,6,8 with PCI_EXP_FLAGS_SLOT (pcie_cap_has_sltctl); RT* for Root Ports and RCECs
 * (pcie_cap_has_rtctl); the *2 registers for version > 1 (LNK*2 also need a link, as Linux
 * pcie_cap_has_lnkctl2 and the spec say; SLT*2 need a slot). A register the structure covers but
 * the function does not implement is RsvdZ, except PCI_EXP_SLTSTA_PDS of a downstream port, which
 * is hardwired to 1 (r6.0 7.5.3; Linux pcie_capability_read_word returns PDS for it).
 *
 * Size: version 2 is always 0x3c (QEMU PCI_EXP_VER2_SIZEOF). Version 1 is at least 0x14
 * (PCI_CAP_EXP_ENDPOINT_SIZEOF_V1; QEMU 7.2 hw/pci/pcie.c pcie_cap_v1_init allocates
 * PCI_EXP_VER1_SIZEOF = 0x14 for every v1 function, e1000e included, also as an RCiEP on pcie.0:
 * qemu.md section 1) and extends to the last register the function implements: 0x1c with a slot,
 * 0x24 with root registers. An RCiEP's v1 link registers are therefore RsvdZ bytes of the
 * structure (Linux's PCI_CAP_EXP_RC_ENDPOINT_SIZEOF_V1 = 12 would end it at 0x0c; QEMU's
 * read-only bytes there decide it).
 *
 * Reset values that are not 0 (r6.0 7.5.3.4, 7.5.3.19): DEVCTL RELAX_EN 1, NOSNOOP_EN 1, READRQ
 * 010b (512 bytes); LNKCTL2 Target Link Speed = LNKCAP Max Link Speed. EXT_TAG's default is
 * implementation specific and taken as 0. Sticky (RWS/RW1CS/ROS): DEVCTL AUX_PME, the LNKCTL2
 * compliance/speed fields, LNKSTA2 equalization results and request. HwInit: FLAGS SLOT, LNKCAP
 * port number, LNKSTA SLC, all of SLTCAP, SLTCAP2.
 *
 * Save/restore: pci_save_pcie_state saves DEVCTL, LNKCTL, SLTCTL, RTCTL, DEVCTL2, LNKCTL2, SLTCTL2
 * through pcie_capability_read_word (0 for unimplemented registers) and restores them the same way
 * (linux-pci.md sections 2.2, 2.5). Writing PCI_EXP_DEVCTL_BCR_FLR starts an FLR (hook point).
 */
import type { CapabilityDef, CapReader } from '../capability.js';
import { f, r, type FieldDef, type RegisterDef } from '../registers.js';
import { capHeader } from './header-fields.js';
import {
  PCI_CAP_ID_EXP, PCI_EXP_DEVCAP, PCI_EXP_DEVCAP2, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL2, PCI_EXP_DEVSTA,
  PCI_EXP_DEVSTA2, PCI_EXP_FLAGS, PCI_EXP_FLAGS_SLOT, PCI_EXP_FLAGS_TYPE, PCI_EXP_FLAGS_VERS, PCI_EXP_LNKCAP,
  PCI_EXP_LNKCAP2, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL2, PCI_EXP_LNKSTA, PCI_EXP_LNKSTA2, PCI_EXP_RTCAP,
  PCI_EXP_RTCAP_CRSVIS, PCI_EXP_RTCTL, PCI_EXP_RTSTA, PCI_EXP_SLTCAP, PCI_EXP_SLTCAP2, PCI_EXP_SLTCTL,
  PCI_EXP_SLTCTL2, PCI_EXP_SLTSTA, PCI_EXP_SLTSTA2, PCI_EXP_TYPE_PCI_BRIDGE,
} from '../pci-regs.js';

/** QEMU include/hw/pci/pcie_regs.h; the spec's version 2 structure size. */
export const PCI_EXP_VER2_SIZEOF = 0x3c;

/** Which register groups a function implements, decided from PCI_EXP_FLAGS alone. */
export interface PcieLayout {
  readonly version: number;
  readonly type: number;
  readonly link: boolean;
  readonly slot: boolean;
  readonly root: boolean;
  readonly v2: boolean;
  readonly downstreamPort: boolean;
  readonly size: number;
}

const LINK_TYPES = [0, 1, 4, 5, 6, 7, 8];
const DOWNSTREAM_TYPES = [4, 6, 8];
const ROOT_TYPES = [4, 10];

export function pcieLayout(flags: number): PcieLayout {
  const version = flags & PCI_EXP_FLAGS_VERS;
  const type = (flags & PCI_EXP_FLAGS_TYPE) >> 4;
  const link = LINK_TYPES.includes(type);
  const downstreamPort = DOWNSTREAM_TYPES.includes(type);
  const slot = downstreamPort && (flags & PCI_EXP_FLAGS_SLOT) !== 0;
  const root = ROOT_TYPES.includes(type);
  const v2 = version > 1;
  const size = v2 ? PCI_EXP_VER2_SIZEOF : root ? 0x24 : slot ? 0x1c : 0x14;
  return { version, type, link, slot, root, v2, downstreamPort, size };
}

/** Linux pcie_capability_reg_implemented, per register offset, for this layout. */
export function pcieRegisterImplemented(l: PcieLayout, offset: number): boolean {
  if (offset < PCI_EXP_LNKCAP) return true;
  if (offset < PCI_EXP_SLTCAP) return l.link;
  if (offset < PCI_EXP_RTCTL) return l.slot;
  if (offset < PCI_EXP_DEVCAP2) return l.root;
  if (offset < PCI_EXP_LNKCAP2) return l.v2;
  if (offset < PCI_EXP_SLTCAP2) return l.v2 && l.link;
  return l.v2 && l.slot;
}

/** A register the structure covers but the function does not implement. */
function unimplemented(name: string, offset: number, width: 2 | 4, l: PcieLayout): RegisterDef {
  if (offset === PCI_EXP_SLTSTA && l.downstreamPort) {
    return r(name, offset, width, [
      f('rsvd', [5, 0], 'RsvdZ'),
      f('PCI_EXP_SLTSTA_PDS', 6, 'RO', { doc: 'hardwired 1 on a downstream port without a slot (r6.0 7.5.3)' }),
      f('rsvd', [15, 7], 'RsvdZ'),
    ], 'not implemented for this port type');
  }
  return r(name, offset, width, [f('rsvd', [width * 8 - 1, 0], 'RsvdZ')], 'not implemented for this function type/version (pcie_capability_reg_implemented)');
}

/** A field only the listed port types implement; on other types its bits stay reserved (RsvdP). */
function onlyFor(types: readonly number[], t: number, fd: FieldDef): FieldDef[] {
  return types.includes(t) ? [fd] : [];
}

function flagsFields(): FieldDef[] {
  return [
    f('PCI_EXP_FLAGS_VERS', [3, 0], 'RO'),
    f('PCI_EXP_FLAGS_TYPE', [7, 4], 'RO', { doc: '0 EP, 1 legacy EP, 4 root port, 5 upstream, 6 downstream, 7 PCIe-to-PCI, 8 PCI-to-PCIe, 9 RCiEP, 10 RCEC' }),
    f('PCI_EXP_FLAGS_SLOT', 8, 'HwInit'),
    f('PCI_EXP_FLAGS_IRQ', [13, 9], 'RO', { volatile: true, doc: 'Interrupt Message Number: changes with the MSI/MSI-X configuration' }),
  ];
}

function devcapFields(): FieldDef[] {
  return [
    f('PCI_EXP_DEVCAP_PAYLOAD', [2, 0], 'RO'),
    f('PCI_EXP_DEVCAP_PHANTOM', [4, 3], 'RO'),
    f('PCI_EXP_DEVCAP_EXT_TAG', 5, 'RO'),
    f('PCI_EXP_DEVCAP_L0S', [8, 6], 'RO'),
    f('PCI_EXP_DEVCAP_L1', [11, 9], 'RO'),
    f('PCI_EXP_DEVCAP_ATN_BUT', 12, 'RO'),
    f('PCI_EXP_DEVCAP_ATN_IND', 13, 'RO'),
    f('PCI_EXP_DEVCAP_PWR_IND', 14, 'RO'),
    f('PCI_EXP_DEVCAP_RBER', 15, 'RO'),
    f('PCI_EXP_DEVCAP_PWR_VAL', [25, 18], 'RO', { volatile: true, doc: 'Captured Slot Power Limit: set by a Set_Slot_Power_Limit message' }),
    f('PCI_EXP_DEVCAP_PWR_SCL', [27, 26], 'RO', { volatile: true }),
    f('PCI_EXP_DEVCAP_FLR', 28, 'RO'),
  ];
}

function devctlFields(t: number): FieldDef[] {
  // Bit 15: Initiate FLR (reads 0) on functions, Bridge Configuration Retry Enable on a
  // PCIe-to-PCI bridge, reserved on root/downstream ports, PCI-to-PCIe bridges and RCECs.
  // Upstream ports keep the FLR meaning: Linux pcie_has_flr looks only at DEVCAP.FLR, and QEMU
  // 7.2's x3130-upstream implements it (qemu.md section 1).
  const bit15: FieldDef[] =
    t === PCI_EXP_TYPE_PCI_BRIDGE ? [f('PCI_EXP_DEVCTL_BCR_FLR', 15, 'RW', { doc: 'Bridge Configuration Retry Enable' })]
    : [4, 6, 8, 10].includes(t) ? []
    : [f('PCI_EXP_DEVCTL_BCR_FLR', 15, 'RW', { selfClearing: true, doc: 'Initiate Function Level Reset: always reads 0' })];
  return [
    f('PCI_EXP_DEVCTL_CERE', 0, 'RW'),
    f('PCI_EXP_DEVCTL_NFERE', 1, 'RW'),
    f('PCI_EXP_DEVCTL_FERE', 2, 'RW'),
    f('PCI_EXP_DEVCTL_URRE', 3, 'RW'),
    f('PCI_EXP_DEVCTL_RELAX_EN', 4, 'RW', { reset: 1 }),
    f('PCI_EXP_DEVCTL_PAYLOAD', [7, 5], 'RW', { doc: 'Max_Payload_Size: 128 << n bytes' }),
    f('PCI_EXP_DEVCTL_EXT_TAG', 8, 'RW', { doc: 'default implementation specific; modelled as 0' }),
    f('PCI_EXP_DEVCTL_PHANTOM', 9, 'RW'),
    f('PCI_EXP_DEVCTL_AUX_PME', 10, 'RW', { sticky: true }),
    f('PCI_EXP_DEVCTL_NOSNOOP_EN', 11, 'RW', { reset: 1 }),
    f('PCI_EXP_DEVCTL_READRQ', [14, 12], 'RW', { reset: 2, doc: 'Max_Read_Request_Size: 128 << n bytes, default 512' }),
    ...bit15,
  ];
}

function devstaFields(): FieldDef[] {
  return [
    f('PCI_EXP_DEVSTA_CED', 0, 'RW1C'),
    f('PCI_EXP_DEVSTA_NFED', 1, 'RW1C'),
    f('PCI_EXP_DEVSTA_FED', 2, 'RW1C'),
    f('PCI_EXP_DEVSTA_URD', 3, 'RW1C'),
    f('PCI_EXP_DEVSTA_AUXPD', 4, 'RO', { volatile: true }),
    f('PCI_EXP_DEVSTA_TRPND', 5, 'RO', { volatile: true }),
  ];
}

function lnkcapFields(): FieldDef[] {
  return [
    f('PCI_EXP_LNKCAP_SLS', [3, 0], 'RO', { doc: 'Max Link Speed (index into LNKCAP2 SLS)' }),
    f('PCI_EXP_LNKCAP_MLW', [9, 4], 'RO'),
    f('PCI_EXP_LNKCAP_ASPMS', [11, 10], 'RO'),
    f('PCI_EXP_LNKCAP_L0SEL', [14, 12], 'RO'),
    f('PCI_EXP_LNKCAP_L1EL', [17, 15], 'RO'),
    f('PCI_EXP_LNKCAP_CLKPM', 18, 'RO'),
    f('PCI_EXP_LNKCAP_SDERC', 19, 'RO'),
    f('PCI_EXP_LNKCAP_DLLLARC', 20, 'RO'),
    f('PCI_EXP_LNKCAP_LBNC', 21, 'RO'),
    f('PCI_EXP_LNKCAP_PN', [31, 24], 'HwInit'),
  ];
}

function lnkctlFields(t: number): FieldDef[] {
  return [
    f('PCI_EXP_LNKCTL_ASPMC', [1, 0], 'RW'),
    // Read Completion Boundary: fixed by the root port, not applicable to switch ports.
    f('PCI_EXP_LNKCTL_RCB', 3, [4, 5, 6].includes(t) ? 'RO' : 'RW'),
    ...onlyFor(DOWNSTREAM_TYPES, t, f('PCI_EXP_LNKCTL_LD', 4, 'RW')),
    ...onlyFor(DOWNSTREAM_TYPES, t, f('PCI_EXP_LNKCTL_RL', 5, 'RW', { selfClearing: true, doc: 'Retrain Link: always reads 0' })),
    f('PCI_EXP_LNKCTL_CCC', 6, 'RW'),
    f('PCI_EXP_LNKCTL_ES', 7, 'RW'),
    f('PCI_EXP_LNKCTL_CLKREQ_EN', 8, 'RW'),
    f('PCI_EXP_LNKCTL_HAWD', 9, 'RW'),
    ...onlyFor(DOWNSTREAM_TYPES, t, f('PCI_EXP_LNKCTL_LBMIE', 10, 'RW')),
    ...onlyFor(DOWNSTREAM_TYPES, t, f('PCI_EXP_LNKCTL_LABIE', 11, 'RW')),
  ];
}

function lnkstaFields(t: number): FieldDef[] {
  return [
    f('PCI_EXP_LNKSTA_CLS', [3, 0], 'RO', { volatile: true }),
    f('PCI_EXP_LNKSTA_NLW', [9, 4], 'RO', { volatile: true }),
    f('PCI_EXP_LNKSTA_LT', 11, 'RO', { volatile: true }),
    f('PCI_EXP_LNKSTA_SLC', 12, 'HwInit'),
    f('PCI_EXP_LNKSTA_DLLLA', 13, 'RO', { volatile: true }),
    ...onlyFor(DOWNSTREAM_TYPES, t, f('PCI_EXP_LNKSTA_LBMS', 14, 'RW1C')),
    ...onlyFor(DOWNSTREAM_TYPES, t, f('PCI_EXP_LNKSTA_LABS', 15, 'RW1C')),
  ];
}

function sltcapFields(): FieldDef[] {
  return [
    f('PCI_EXP_SLTCAP_ABP', 0, 'HwInit'),
    f('PCI_EXP_SLTCAP_PCP', 1, 'HwInit'),
    f('PCI_EXP_SLTCAP_MRLSP', 2, 'HwInit'),
    f('PCI_EXP_SLTCAP_AIP', 3, 'HwInit'),
    f('PCI_EXP_SLTCAP_PIP', 4, 'HwInit'),
    f('PCI_EXP_SLTCAP_HPS', 5, 'HwInit'),
    f('PCI_EXP_SLTCAP_HPC', 6, 'HwInit'),
    f('PCI_EXP_SLTCAP_SPLV', [14, 7], 'HwInit'),
    f('PCI_EXP_SLTCAP_SPLS', [16, 15], 'HwInit'),
    f('PCI_EXP_SLTCAP_EIP', 17, 'HwInit'),
    f('PCI_EXP_SLTCAP_NCCS', 18, 'HwInit'),
    f('PCI_EXP_SLTCAP_PSN', [31, 19], 'HwInit'),
  ];
}

function sltctlFields(): FieldDef[] {
  // Indicator and power-controller defaults are implementation specific (QEMU 7.2 sets
  // SLTCTL=0x01c0 in pcie_cap_slot_init, qemu.md section 1): modelled as 0.
  return [
    f('PCI_EXP_SLTCTL_ABPE', 0, 'RW'),
    f('PCI_EXP_SLTCTL_PFDE', 1, 'RW'),
    f('PCI_EXP_SLTCTL_MRLSCE', 2, 'RW'),
    f('PCI_EXP_SLTCTL_PDCE', 3, 'RW'),
    f('PCI_EXP_SLTCTL_CCIE', 4, 'RW'),
    f('PCI_EXP_SLTCTL_HPIE', 5, 'RW'),
    f('PCI_EXP_SLTCTL_AIC', [7, 6], 'RW'),
    f('PCI_EXP_SLTCTL_PIC', [9, 8], 'RW'),
    f('PCI_EXP_SLTCTL_PCC', 10, 'RW'),
    f('PCI_EXP_SLTCTL_EIC', 11, 'RW', { selfClearing: true, doc: 'Electromechanical Interlock Control: always reads 0' }),
    f('PCI_EXP_SLTCTL_DLLSCE', 12, 'RW'),
    f('PCI_EXP_SLTCTL_ASPL_DISABLE', 13, 'RW'),
    f('PCI_EXP_SLTCTL_IBPD_DISABLE', 14, 'RW'),
  ];
}

function sltstaFields(): FieldDef[] {
  return [
    f('PCI_EXP_SLTSTA_ABP', 0, 'RW1C'),
    f('PCI_EXP_SLTSTA_PFD', 1, 'RW1C'),
    f('PCI_EXP_SLTSTA_MRLSC', 2, 'RW1C'),
    f('PCI_EXP_SLTSTA_PDC', 3, 'RW1C'),
    f('PCI_EXP_SLTSTA_CC', 4, 'RW1C'),
    f('PCI_EXP_SLTSTA_MRLSS', 5, 'RO', { volatile: true }),
    f('PCI_EXP_SLTSTA_PDS', 6, 'RO', { volatile: true }),
    f('PCI_EXP_SLTSTA_EIS', 7, 'RO', { volatile: true }),
    f('PCI_EXP_SLTSTA_DLLSC', 8, 'RW1C'),
  ];
}

function rtctlFields(crsVisibility: boolean): FieldDef[] {
  return [
    f('PCI_EXP_RTCTL_SECEE', 0, 'RW'),
    f('PCI_EXP_RTCTL_SENFEE', 1, 'RW'),
    f('PCI_EXP_RTCTL_SEFEE', 2, 'RW'),
    f('PCI_EXP_RTCTL_PMEIE', 3, 'RW'),
    // RW only when PCI_EXP_RTCAP_CRSVIS says the root port supports it (r6.0 7.5.3.12).
    f('PCI_EXP_RTCTL_CRSSVE', 4, crsVisibility ? 'RW' : 'RO'),
  ];
}

function rtstaFields(): FieldDef[] {
  return [
    f('PCI_EXP_RTSTA_PME_RID', [15, 0], 'RO', { volatile: true, doc: 'PME Requester ID (no pci_regs.h macro)' }),
    f('PCI_EXP_RTSTA_PME', 16, 'RW1C'),
    f('PCI_EXP_RTSTA_PENDING', 17, 'RO', { volatile: true }),
  ];
}

function devcap2Fields(): FieldDef[] {
  // Names without a pci_regs.h (6.1) macro follow the spec field and are marked in `doc`.
  return [
    f('PCI_EXP_DEVCAP2_COMP_TMOUT_RANGES', [3, 0], 'HwInit', { doc: 'Completion Timeout Ranges Supported (spec name)' }),
    f('PCI_EXP_DEVCAP2_COMP_TMOUT_DIS', 4, 'RO'),
    f('PCI_EXP_DEVCAP2_ARI', 5, 'RO'),
    f('PCI_EXP_DEVCAP2_ATOMIC_ROUTE', 6, 'RO'),
    f('PCI_EXP_DEVCAP2_ATOMIC_COMP32', 7, 'RO'),
    f('PCI_EXP_DEVCAP2_ATOMIC_COMP64', 8, 'RO'),
    f('PCI_EXP_DEVCAP2_ATOMIC_COMP128', 9, 'RO'),
    f('PCI_EXP_DEVCAP2_NROPRPRP', 10, 'RO', { doc: 'No RO-enabled PR-PR Passing (spec name)' }),
    f('PCI_EXP_DEVCAP2_LTR', 11, 'RO'),
    f('PCI_EXP_DEVCAP2_TPH_COMP', [13, 12], 'RO', { doc: 'TPH Completer Supported (spec name)' }),
    f('PCI_EXP_DEVCAP2_10BIT_TAG_COMP', 16, 'HwInit', { doc: '10-Bit Tag Completer Supported (spec name)' }),
    f('PCI_EXP_DEVCAP2_10BIT_TAG_REQ', 17, 'HwInit', { doc: '10-Bit Tag Requester Supported (spec name)' }),
    f('PCI_EXP_DEVCAP2_OBFF_MASK', [19, 18], 'HwInit'),
    f('PCI_EXP_DEVCAP2_EXT_FMT', 20, 'RO', { doc: 'Extended Fmt Field Supported (spec name)' }),
    f('PCI_EXP_DEVCAP2_EE_PREFIX', 21, 'HwInit'),
    f('PCI_EXP_DEVCAP2_MAX_EE_PREFIX', [23, 22], 'HwInit', { doc: 'Max End-End TLP Prefixes (spec name)' }),
  ];
}

function devctl2Fields(t: number): FieldDef[] {
  return [
    f('PCI_EXP_DEVCTL2_COMP_TIMEOUT', [3, 0], 'RW'),
    f('PCI_EXP_DEVCTL2_COMP_TMOUT_DIS', 4, 'RW'),
    // ARI Forwarding Enable: root ports and switch downstream ports only.
    ...onlyFor([4, 6], t, f('PCI_EXP_DEVCTL2_ARI', 5, 'RW')),
    ...onlyFor([0, 1, 4, 9], t, f('PCI_EXP_DEVCTL2_ATOMIC_REQ', 6, 'RW')),
    ...onlyFor([4, 5, 6], t, f('PCI_EXP_DEVCTL2_ATOMIC_EGRESS_BLOCK', 7, 'RW')),
    f('PCI_EXP_DEVCTL2_IDO_REQ_EN', 8, 'RW'),
    f('PCI_EXP_DEVCTL2_IDO_CMP_EN', 9, 'RW'),
    f('PCI_EXP_DEVCTL2_LTR_EN', 10, 'RW'),
    f('PCI_EXP_DEVCTL2_10BIT_TAG_REQ_EN', 12, 'RW', { doc: '10-Bit Tag Requester Enable (spec name)' }),
    f('PCI_EXP_DEVCTL2_OBFF_WAKE_EN', [14, 13], 'RW', { doc: 'OBFF Enable: 01 message A, 10 message B, 11 WAKE#' }),
    // End-End TLP Prefix Blocking applies to Root and Switch Ports and is RsvdP elsewhere (r6.0
    // 7.5.3.16). Declared on every type, so a profile can open it where an implementation does
    // (QEMU 7.2 pcie.c pcie_cap_init: writable on every function).
    f('PCI_EXP_DEVCTL2_EE_PREFIX_BLK', 15, [4, 5, 6].includes(t) ? 'RW' : 'RsvdP', { doc: 'End-End TLP Prefix Blocking (QEMU PCI_EXP_DEVCTL2_EETLPPB)' }),
  ];
}

function lnkcap2Fields(): FieldDef[] {
  return [
    f('PCI_EXP_LNKCAP2_SLS', [7, 1], 'RO', { doc: 'Supported Link Speeds vector: bit n-1 = speed n (PCI_EXP_LNKCAP2_SLS_*)' }),
    f('PCI_EXP_LNKCAP2_CROSSLINK', 8, 'RO'),
    f('PCI_EXP_LNKCAP2_RETIMER', 23, 'RO', { doc: 'Retimer Presence Detect Supported (spec name)' }),
    f('PCI_EXP_LNKCAP2_2RETIMERS', 24, 'RO', { doc: 'Two Retimers Presence Detect Supported (spec name)' }),
    f('PCI_EXP_LNKCAP2_DRS', 31, 'RO', { doc: 'DRS Supported (spec name)' }),
  ];
}

function lnkctl2Fields(maxSpeed: number): FieldDef[] {
  return [
    f('PCI_EXP_LNKCTL2_TLS', [3, 0], 'RW', { sticky: true, reset: maxSpeed, doc: 'Target Link Speed; default = LNKCAP Max Link Speed' }),
    f('PCI_EXP_LNKCTL2_ENTER_COMP', 4, 'RW', { sticky: true }),
    f('PCI_EXP_LNKCTL2_HASD', 5, 'RW', { sticky: true }),
    f('PCI_EXP_LNKCTL2_TX_MARGIN', [9, 7], 'RW', { sticky: true }),
    f('PCI_EXP_LNKCTL2_MOD_COMP', 10, 'RW', { sticky: true, doc: 'Enter Modified Compliance (spec name)' }),
    f('PCI_EXP_LNKCTL2_COMP_SOS', 11, 'RW', { sticky: true, doc: 'Compliance SOS (spec name)' }),
    f('PCI_EXP_LNKCTL2_COMP_PRESET', [15, 12], 'RW', { sticky: true, doc: 'Compliance Preset/De-emphasis (spec name)' }),
  ];
}

function lnksta2Fields(): FieldDef[] {
  // No pci_regs.h (6.1) macros: names follow pciutils lib/header.h PCI_EXP_LINKSTA2_*.
  return [
    f('PCI_EXP_LNKSTA2_DEEMPHASIS', 0, 'RO', { volatile: true }),
    f('PCI_EXP_LNKSTA2_EQU_COMP', 1, 'RO', { volatile: true, sticky: true }),
    f('PCI_EXP_LNKSTA2_EQU_PHASE1', 2, 'RO', { volatile: true, sticky: true }),
    f('PCI_EXP_LNKSTA2_EQU_PHASE2', 3, 'RO', { volatile: true, sticky: true }),
    f('PCI_EXP_LNKSTA2_EQU_PHASE3', 4, 'RO', { volatile: true, sticky: true }),
    f('PCI_EXP_LNKSTA2_EQU_REQ', 5, 'RW1C', { sticky: true }),
    f('PCI_EXP_LNKSTA2_RETIMER', 6, 'RO', { volatile: true }),
    f('PCI_EXP_LNKSTA2_2RETIMERS', 7, 'RO', { volatile: true }),
    f('PCI_EXP_LNKSTA2_CROSSLINK', [9, 8], 'RO', { volatile: true }),
    f('PCI_EXP_LNKSTA2_FLIT', 10, 'RO', { volatile: true, doc: 'Flit Mode Status (r6.0)' }),
    f('PCI_EXP_LNKSTA2_COMPONENT', [14, 12], 'RO', { volatile: true }),
    f('PCI_EXP_LNKSTA2_DRS_RCVD', 15, 'RW1C'),
  ];
}

function pcieRegisters(c: CapReader): RegisterDef[] {
  const l = pcieLayout(c.readw(PCI_EXP_FLAGS));
  const t = l.type;
  const maxSpeed = c.readl(PCI_EXP_LNKCAP) & 0xf;
  const crsVisibility = (c.readw(PCI_EXP_RTCAP) & PCI_EXP_RTCAP_CRSVIS) !== 0;
  const table: [string, number, 2 | 4, () => FieldDef[]][] = [
    ['PCI_EXP_FLAGS', PCI_EXP_FLAGS, 2, flagsFields],
    ['PCI_EXP_DEVCAP', PCI_EXP_DEVCAP, 4, devcapFields],
    ['PCI_EXP_DEVCTL', PCI_EXP_DEVCTL, 2, () => devctlFields(t)],
    ['PCI_EXP_DEVSTA', PCI_EXP_DEVSTA, 2, devstaFields],
    ['PCI_EXP_LNKCAP', PCI_EXP_LNKCAP, 4, lnkcapFields],
    ['PCI_EXP_LNKCTL', PCI_EXP_LNKCTL, 2, () => lnkctlFields(t)],
    ['PCI_EXP_LNKSTA', PCI_EXP_LNKSTA, 2, () => lnkstaFields(t)],
    ['PCI_EXP_SLTCAP', PCI_EXP_SLTCAP, 4, sltcapFields],
    ['PCI_EXP_SLTCTL', PCI_EXP_SLTCTL, 2, sltctlFields],
    ['PCI_EXP_SLTSTA', PCI_EXP_SLTSTA, 2, sltstaFields],
    ['PCI_EXP_RTCTL', PCI_EXP_RTCTL, 2, () => rtctlFields(crsVisibility)],
    ['PCI_EXP_RTCAP', PCI_EXP_RTCAP, 2, () => [f('PCI_EXP_RTCAP_CRSVIS', 0, 'RO')]],
    ['PCI_EXP_RTSTA', PCI_EXP_RTSTA, 4, rtstaFields],
    ['PCI_EXP_DEVCAP2', PCI_EXP_DEVCAP2, 4, devcap2Fields],
    ['PCI_EXP_DEVCTL2', PCI_EXP_DEVCTL2, 2, () => devctl2Fields(t)],
    ['PCI_EXP_DEVSTA2', PCI_EXP_DEVSTA2, 2, () => [f('rsvd', [15, 0], 'RsvdZ')]],
    ['PCI_EXP_LNKCAP2', PCI_EXP_LNKCAP2, 4, lnkcap2Fields],
    ['PCI_EXP_LNKCTL2', PCI_EXP_LNKCTL2, 2, () => lnkctl2Fields(maxSpeed)],
    ['PCI_EXP_LNKSTA2', PCI_EXP_LNKSTA2, 2, lnksta2Fields],
    ['PCI_EXP_SLTCAP2', PCI_EXP_SLTCAP2, 4, () => [f('PCI_EXP_SLTCAP2_IBPD', 0, 'HwInit')]],
    // Slot Control 2 defines no field in r6.0 (and Linux never treats it as implemented).
    ['PCI_EXP_SLTCTL2', PCI_EXP_SLTCTL2, 2, () => []],
    ['PCI_EXP_SLTSTA2', PCI_EXP_SLTSTA2, 2, () => [f('rsvd', [15, 0], 'RsvdZ')]],
  ];
  const regs: RegisterDef[] = [...capHeader()];
  for (const [name, offset, width, fields] of table) {
    if (offset + width > l.size) break;
    regs.push(pcieRegisterImplemented(l, offset) ? r(name, offset, width, fields()) : unimplemented(name, offset, width, l));
  }
  return regs;
}

export const pcie: CapabilityDef = {
  id: PCI_CAP_ID_EXP,
  extended: false,
  key: 'pcie',
  linuxId: 'PCI_CAP_ID_EXP',
  name: 'Express',
  spec: 'PCIe r6.0 7.5.3; r1.1 7.8 (version 1)',
  version: (c) => c.readw(PCI_EXP_FLAGS) & PCI_EXP_FLAGS_VERS,
  size: (c) => pcieLayout(c.readw(PCI_EXP_FLAGS)).size,
  registers: pcieRegisters,
};
