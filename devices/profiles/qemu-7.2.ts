/**
 * QEMU 7.2 (Debian 1:7.2+dfsg-7+deb12u18) device profiles: where QEMU's emulated devices depart
 * from the PCIe spec's register attributes. Facts from /work/shared/docs/qemu.md section 2.1 and
 * QEMU 7.2 sources (hw/pci/pcie.c pcie_cap_init, pcie_cap_v1_fill, pcie_cap_deverr_init,
 * pcie_cap_flr_init, pcie_cap_lnkctl_init, pcie_cap_slot_init, pcie_cap_root_init,
 * pcie_cap_arifwd_init; hw/pci/pcie_aer.c pcie_aer_init; hw/pci/pci.c pci_init_wmask), checked
 * byte by byte against the real device by test/e2e/differential.test.ts.
 *
 * QEMU starts from "the whole PCIe capability is read-only" (pcie_cap_init) and each init helper
 * opens specific bits, so the profiles do the same: every PCI_EXP_* field RO, then re-open.
 */
import type { AttributeOverride } from '../registers.js';
import type { DeviceProfile } from '../profile.js';

const src = (fn: string) => `QEMU 7.2 ${fn}`;

const pcieAllReadOnly: AttributeOverride[] = [
  { capability: 'pcie', register: 'PCI_EXP_*', field: '*', access: 'RO', reason: 'QEMU makes the whole PCIe capability read-only, then opens bits per device', source: src('hw/pci/pcie.c pcie_cap_init') },
  { capability: 'pcie', register: 'PCI_EXP_DEVCTL2', field: 'PCI_EXP_DEVCTL2_EE_PREFIX_BLOCK', access: 'RW', reason: 'the one bit pcie_cap_init leaves writable', source: src('hw/pci/pcie.c pcie_cap_init (PCI_EXP_DEVCTL2_EETLPPB)') },
];

const deverr: AttributeOverride[] = [
  ...['PCI_EXP_DEVCTL_CERE', 'PCI_EXP_DEVCTL_NFERE', 'PCI_EXP_DEVCTL_FERE', 'PCI_EXP_DEVCTL_URRE'].map((field): AttributeOverride => ({ capability: 'pcie', register: 'PCI_EXP_DEVCTL', field, access: 'RW', reason: 'error reporting enables opened by pcie_cap_deverr_init', source: src('hw/pci/pcie.c pcie_cap_deverr_init') })),
  ...['PCI_EXP_DEVSTA_CED', 'PCI_EXP_DEVSTA_NFED', 'PCI_EXP_DEVSTA_FED', 'PCI_EXP_DEVSTA_URD'].map((field): AttributeOverride => ({ capability: 'pcie', register: 'PCI_EXP_DEVSTA', field, access: 'RW1C', reason: 'error detected bits made W1C by pcie_cap_deverr_init', source: src('hw/pci/pcie.c pcie_cap_deverr_init') })),
];

const flr: AttributeOverride[] = [
  { capability: 'pcie', register: 'PCI_EXP_DEVCTL', field: 'PCI_EXP_DEVCTL_BCR_FLR', access: 'RW', reason: 'pcie_cap_flr_init opens only the Initiate FLR bit', source: src('hw/pci/pcie.c pcie_cap_flr_init') },
];

const lnkctl: AttributeOverride[] = [
  ...['PCI_EXP_LNKCTL_CCC', 'PCI_EXP_LNKCTL_ES'].map((field): AttributeOverride => ({ capability: 'pcie', register: 'PCI_EXP_LNKCTL', field, access: 'RW', reason: 'pcie_cap_lnkctl_init opens Common Clock and Extended Synch', source: src('hw/pci/pcie.c pcie_cap_lnkctl_init') })),
];

const slot: AttributeOverride[] = [
  ...['PCI_EXP_SLTCTL_ABPE', 'PCI_EXP_SLTCTL_PDCE', 'PCI_EXP_SLTCTL_CCIE', 'PCI_EXP_SLTCTL_HPIE', 'PCI_EXP_SLTCTL_AIC', 'PCI_EXP_SLTCTL_PIC', 'PCI_EXP_SLTCTL_PCC', 'PCI_EXP_SLTCTL_EIC'].map((field): AttributeOverride => ({ capability: 'pcie', register: 'PCI_EXP_SLTCTL', field, access: 'RW', reason: 'slot control bits opened by pcie_cap_slot_init', source: src('hw/pci/pcie.c pcie_cap_slot_init') })),
  ...['PCI_EXP_SLTSTA_ABP', 'PCI_EXP_SLTSTA_PDC', 'PCI_EXP_SLTSTA_CC'].map((field): AttributeOverride => ({ capability: 'pcie', register: 'PCI_EXP_SLTSTA', field, access: 'RW1C', reason: 'slot event bits made W1C by pcie_cap_slot_init', source: src('hw/pci/pcie.c pcie_cap_slot_init') })),
];

const root: AttributeOverride[] = [
  ...['PCI_EXP_RTCTL_SECEE', 'PCI_EXP_RTCTL_SENFEE', 'PCI_EXP_RTCTL_SEFEE'].map((field): AttributeOverride => ({ capability: 'pcie', register: 'PCI_EXP_RTCTL', field, access: 'RW', reason: 'system error enables opened by pcie_cap_root_init', source: src('hw/pci/pcie.c pcie_cap_root_init') })),
];

const arifwd: AttributeOverride[] = [
  { capability: 'pcie', register: 'PCI_EXP_DEVCTL2', field: 'PCI_EXP_DEVCTL2_ARI', access: 'RW', reason: 'ARI forwarding enable opened by pcie_cap_arifwd_init', source: src('hw/pci/pcie.c pcie_cap_arifwd_init') },
];

const aerUncorMaskReadOnly: AttributeOverride[] = [
  { capability: 'aer', register: 'PCI_ERR_UNCOR_MASK', field: '*', access: 'RO', reason: 'QEMU 7.2 leaves the uncorrectable error mask read-only 0 (8.0 adds x-pcie-err-unc-mask)', source: src('hw/pci/pcie_aer.c pcie_aer_init; qemu.md 2.1 OBS') },
];

const commandParityReadOnly: AttributeOverride[] = [
  { capability: 'header', register: 'PCI_COMMAND', field: 'PCI_COMMAND_PARITY', access: 'RO', reason: 'QEMU COMMAND wmask is IO|MEMORY|MASTER|INTX_DISABLE|SERR only', source: src('hw/pci/pci.c pci_init_wmask') },
];

function qemuProfile(name: string, description: string, overrides: AttributeOverride[]): DeviceProfile {
  return {
    name,
    description,
    personality: 'qemu-7.2',
    overrides: [...commandParityReadOnly, ...pcieAllReadOnly, ...overrides],
    // pci_init_wmask: every byte from 0x40 to the end of config space starts writable; capabilities
    // then clear their own ranges, so unclaimed bytes are free RW scratch that no reset clears.
    unclaimed: { kind: 'scratch', from: 0x40 },
    source: 'QEMU 7.2 (qemu.md section 2.1), verified by test/e2e/differential.test.ts',
  };
}

export interface VendorProfile {
  readonly vendor: number;
  readonly device: number;
  readonly profile: DeviceProfile;
}

export const QEMU_72_PROFILES: readonly VendorProfile[] = [
  { vendor: 0x8086, device: 0x10d3, profile: qemuProfile('qemu-7.2-e1000e', 'QEMU 7.2 e1000e: Device Control and Status read-only, no FLR, AER UNCOR_MASK read-only', [...aerUncorMaskReadOnly]) },
  { vendor: 0x1b36, device: 0x0010, profile: qemuProfile('qemu-7.2-nvme', 'QEMU 7.2 nvme: Device Control read-only except Initiate FLR', [...flr]) },
  { vendor: 0x1af4, device: 0x1041, profile: qemuProfile('qemu-7.2-virtio-net', 'QEMU 7.2 virtio-net-pci (modern): deverr, FLR, lnkctl; AER UNCOR_MASK read-only when aer=on', [...deverr, ...flr, ...lnkctl, ...aerUncorMaskReadOnly]) },
  { vendor: 0x1b36, device: 0x000d, profile: qemuProfile('qemu-7.2-xhci', 'QEMU 7.2 qemu-xhci: PCIe capability read-only', []) },
  { vendor: 0x1b36, device: 0x000c, profile: qemuProfile('qemu-7.2-pcie-root-port', 'QEMU 7.2 pcie-root-port', [...deverr, ...slot, ...root, ...arifwd, ...aerUncorMaskReadOnly]) },
  { vendor: 0x8086, device: 0x3420, profile: qemuProfile('qemu-7.2-ioh3420', 'QEMU 7.2 ioh3420 root port', [...deverr, ...slot, ...root, ...arifwd, ...aerUncorMaskReadOnly]) },
  { vendor: 0x104c, device: 0x8232, profile: qemuProfile('qemu-7.2-x3130-upstream', 'QEMU 7.2 x3130 upstream port', [...deverr, ...flr, ...aerUncorMaskReadOnly]) },
  { vendor: 0x104c, device: 0x8233, profile: qemuProfile('qemu-7.2-xio3130-downstream', 'QEMU 7.2 xio3130 downstream port', [...deverr, ...flr, ...slot, ...arifwd, ...aerUncorMaskReadOnly]) },
];
