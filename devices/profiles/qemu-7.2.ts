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
import type { DeviceProfile, QemuResetHandlerKey } from '../profile.js';
import { qemuWriteHooks, type QemuWriteEffect } from './qemu-7.2-writes.js';

const src = (fn: string) => `QEMU 7.2 ${fn}`;

const pcieAllReadOnly: AttributeOverride[] = [
  { capability: 'pcie', register: 'PCI_EXP_*', field: '*', access: 'RO', reason: 'QEMU makes the whole PCIe capability read-only, then opens bits per device', source: src('hw/pci/pcie.c pcie_cap_init') },
  // devices/caps/pcie.ts declares the field on every type (RsvdP on endpoints), so this opens it everywhere.
  { capability: 'pcie', register: 'PCI_EXP_DEVCTL2', field: 'PCI_EXP_DEVCTL2_EE_PREFIX_BLK', access: 'RW', reason: 'the one bit pcie_cap_init leaves writable, on every function', source: src('hw/pci/pcie.c pcie_cap_init (PCI_EXP_DEVCTL2_EETLPPB)') },
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

// pcie_aer_init: UNCOR_STATUS W1C and UNCOR_SEVER RW only for PCI_ERR_UNC_SUPPORTED (bits up to
// TLP Prefix Blocked, 25); the later PCIe bits 26-31 are read-only 0.
const aerUncorNewerBitsReadOnly: AttributeOverride[] = ['PCI_ERR_UNCOR_STATUS', 'PCI_ERR_UNCOR_SEVER'].flatMap((register) =>
  ['PCI_ERR_UNC_POISON_BLK', 'PCI_ERR_UNC_DMWR_BLK', 'PCI_ERR_UNC_IDE_CHECK', 'PCI_ERR_UNC_MISR_IDE', 'PCI_ERR_UNC_PCRC_CHECK', 'PCI_ERR_UNC_XLAT_BLK'].map((field): AttributeOverride => ({
    capability: 'aer', register, field, access: 'RO', reason: 'QEMU 7.2 implements only PCI_ERR_UNC_SUPPORTED (bits 4..25); newer uncorrectable error bits are read-only 0', source: src('hw/pci/pcie_aer.c pcie_aer_init (wmask/w1cmask = PCI_ERR_UNC_SUPPORTED)'),
  })));

// Endpoints have no aer_log_max property, so log_max is 0: MHRC stays clear and MHRE is not
// writable. Ports (aer_log_max, default 8) get MHRC and a writable MHRE.
const aerNoMultiHeader: AttributeOverride[] = [
  { capability: 'aer', register: 'PCI_ERR_CAP', field: 'PCI_ERR_CAP_MHRE', access: 'RO', reason: 'no multiple header recording (aer_log.log_max = 0): MHRE read-only 0', source: src('hw/pci/pcie_aer.c pcie_aer_init (MHRE in wmask only if log_max > 0)') },
];

// A PM capability whose PMCSR wmask is PCI_PM_CTRL_STATE_MASK only (no PME, no Data register).
const pmcsrStateOnly = (fn: string): AttributeOverride[] => ['PCI_PM_CTRL_PME_ENABLE', 'PCI_PM_CTRL_DATA_SEL_MASK'].map((field): AttributeOverride => ({
  capability: 'pm', register: 'PCI_PM_CTRL', field, access: 'RO', reason: 'PMCSR wmask is the PowerState field only', source: src(fn),
}));

// pcie_acs_init: ACS Control wmask = the capability bits (SV|TB|RR|CR|UF|DT on downstream ports);
// P2P Egress Control is not implemented, so its enable is read-only 0.
const acsNoEgressControl: AttributeOverride[] = [
  { capability: 'acs', register: 'PCI_ACS_CTRL', field: 'PCI_ACS_EC', access: 'RO', reason: 'P2P Egress Control not implemented (not in PCI_ACS_CAP): enable read-only 0', source: src('hw/pci/pcie.c pcie_acs_init (wmask = cap_bits)') },
];

// pci_init_mask_bridge: the whole dword 0x18..0x1b (bus numbers and secondary latency timer) is RW.
const bridgeSecLatencyRw: AttributeOverride[] = [
  { capability: 'header', register: 'PCI_SEC_LATENCY_TIMER', field: '*', access: 'RW', reason: 'QEMU makes 0x18..0x1b writable on every bridge, including the secondary latency timer PCIe hardwires to 0', source: src('hw/pci/pci.c pci_init_mask_bridge') },
];

// struct virtio_pci_cfg_cap (cfg_type VIRTIO_PCI_CAP_PCI_CFG = 5 at +3): bar (+4), offset (+8)
// and length (+12) are RW; the other VNDR caps (common, notify, ISR, device) stay read-only. The
// data window (+16) is RW too, but reading or writing it is a BAR access (virtio_write_config),
// which the model does not perform: left read-only.
const virtioPciCfgWindow: AttributeOverride[] = [
  ['PCI_VNDR_DATA_04', 'PCI_VNDR_DATA_04'], ['PCI_VNDR_DATA_08', '*'], ['PCI_VNDR_DATA_0c', '*'],
].map(([register, field]): AttributeOverride => ({
  capability: 'vndr', instance: { byte: 3, equals: 5 }, register, field, access: 'RW',
  reason: 'the PCI_CFG window capability\'s bar, offset and length are guest-writable', source: src('hw/virtio/virtio-pci.c virtio_pci_realize (cfg_mask)'),
}));

const commandParityReadOnly: AttributeOverride[] = [
  { capability: 'header', register: 'PCI_COMMAND', field: 'PCI_COMMAND_PARITY', access: 'RO', reason: 'QEMU COMMAND wmask is IO|MEMORY|MASTER|INTX_DISABLE|SERR only', source: src('hw/pci/pci.c pci_init_wmask') },
];

/**
 * BAR sizes by index (6 = expansion ROM; 0 = not implemented), as `pci_register_bar` registers
 * them: measured by scripts/gen-fixtures.ts (fixtures/qemu/*.json barSizes). The upper half of a
 * 64-bit BAR is left undefined (the size sits at the lower index).
 */
type BarSizes = readonly (number | undefined)[];
const KiB = 1024;
const NO_BARS: BarSizes = [0, 0, 0, 0, 0, 0, 0];

interface QemuBehaviour {
  readonly resetHandler?: QemuResetHandlerKey;
  /** Write side effects beyond msi_write_config, which pci_default_write_config runs for all. */
  readonly writes?: readonly QemuWriteEffect[];
}

/** The 0x100 dword pcie_cap_init makes read-only under x-pcie-extcap-init. */
const NULL_EXT_HEADER = [0x100, 0x104] as const;

function qemuProfile(name: string, description: string, barSizes: BarSizes, overrides: AttributeOverride[], behaviour: QemuBehaviour = {}): DeviceProfile {
  const writes: QemuWriteEffect[] = ['msi', ...(behaviour.writes ?? [])];
  return {
    name,
    description,
    personality: 'qemu-7.2',
    overrides: [...commandParityReadOnly, ...pcieAllReadOnly, ...overrides],
    barSizes,
    ...(behaviour.resetHandler ? { resetHandler: behaviour.resetHandler } : {}),
    writeHooks: (walk, size) => qemuWriteHooks(writes, walk, size),
    // pci_init_wmask: every byte from 0x40 to the end of config space starts writable; capabilities
    // then clear their own ranges, so unclaimed bytes are free RW scratch that no reset clears.
    unclaimed: {
      kind: 'scratch',
      from: 0x40,
      readonly: [
        // pcie_cap_init (x-pcie-extcap-init=on): a read-only zero extended header at 0x100 when the
        // function has no extended capabilities (withQemuProperties drops it for =off).
        NULL_EXT_HEADER,
        // pcie_aer_init reserves PCI_ERR_SIZEOF (0x48) at 0x100 and clears its wmask, although the
        // TLP Prefix Log (0x138..0x147) only exists with End-End TLP prefix support
        // (devices/caps/aer.ts sizes AER at 0x38 without it, as e1000e's DSN at 0x140 requires).
        [0x138, 0x148],
      ],
    },
    source: 'QEMU 7.2 (qemu.md section 2.1), verified by test/e2e/differential.test.ts',
  };
}

export interface VendorProfile {
  readonly vendor: number;
  readonly device: number;
  readonly profile: DeviceProfile;
  /**
   * The profile of the device started with these QEMU -device properties, where a property
   * changes which bits are writable without changing the layout a dump shows.
   */
  readonly withProperties?: (props: Readonly<Record<string, string>>) => DeviceProfile;
}

// hw/virtio/virtio-pci.c virtio_pci_realize: each x-pcie-*-init flag (on by default, off in the
// 2.8 machine types, hw_compat_2_8) decides whether one of QEMU's PCIe init helpers opens its bits.
const pmStateReadOnly: AttributeOverride[] = [
  { capability: 'pm', register: 'PCI_PM_CTRL', field: 'PCI_PM_CTRL_STATE_MASK', access: 'RO', reason: 'x-pcie-pm-init=off: the PMCSR wmask stays 0', source: src('hw/virtio/virtio-pci.c virtio_pci_realize (VIRTIO_PCI_FLAG_INIT_PM)') },
];
const VIRTIO_PCIE_INIT: readonly { readonly flag: string; readonly on: AttributeOverride[]; readonly off: AttributeOverride[] }[] = [
  { flag: 'x-pcie-deverr-init', on: deverr, off: [] },
  { flag: 'x-pcie-lnkctl-init', on: lnkctl, off: [] },
  { flag: 'x-pcie-flr-init', on: flr, off: [] },
  { flag: 'x-pcie-pm-init', on: [], off: pmStateReadOnly },
];

// QEMU's boolean property parser (qapi/qobject-input-visitor.c, qemu_strtobool-like): off|false|no|n.
const isOff = (v: string | undefined) => v !== undefined && ['off', 'false', 'no', 'n'].includes(v.toLowerCase());

/** virtio-net-pci (modern) as started with `props`: the x-pcie-*-init flags it has off. */
function virtioNet(props: Readonly<Record<string, string>> = {}): DeviceProfile {
  const off = VIRTIO_PCIE_INIT.filter((f) => isOff(props[f.flag]));
  const init = VIRTIO_PCIE_INIT.flatMap((f) => (off.includes(f) ? f.off : f.on));
  const name = ['qemu-7.2-virtio-net', ...off.map((f) => `${f.flag}=off`)].join(',');
  return qemuProfile(name, `QEMU 7.2 virtio-net-pci (modern): ${off.length ? `${off.map((f) => f.flag).join(', ')} off` : 'deverr, FLR, lnkctl'}; AER UNCOR_MASK read-only when aer=on`, [0, 4 * KiB, 0, 0, 16 * KiB, undefined, 256 * KiB], [...init, ...aerUncorMaskReadOnly, ...aerUncorNewerBitsReadOnly, ...aerNoMultiHeader, ...pmcsrStateOnly('hw/virtio/virtio-pci.c virtio_pci_realize (x-pcie-pm-init)'), ...virtioPciCfgWindow], { resetHandler: 'virtio-pci' });
}

/**
 * `known` as started with the -device properties `props`: its own (virtio-net's x-pcie-*-init),
 * and x-pcie-extcap-init, which every PCIe device has (hw/pci/pci.c pci_props, on by default). Off,
 * hw/pci/pcie.c pcie_cap_init leaves the 0x100 header as pci_init_wmask made it: writable scratch
 * where no extended capability claims it (a capability at 0x100 sets its own wmask, and a
 * function without any reads 0 there until something writes it).
 */
export function withQemuProperties(known: VendorProfile, props: Readonly<Record<string, string>>): DeviceProfile {
  const base = known.withProperties ? known.withProperties(props) : known.profile;
  if (!isOff(props['x-pcie-extcap-init']) || base.unclaimed.kind !== 'scratch') return base;
  return {
    ...base,
    name: `${base.name},x-pcie-extcap-init=off`,
    description: `${base.description}; x-pcie-extcap-init=off (an unclaimed 0x100 header is writable)`,
    unclaimed: { ...base.unclaimed, readonly: (base.unclaimed.readonly ?? []).filter((r) => r !== NULL_EXT_HEADER) },
  };
}

export const QEMU_72_PROFILES: readonly VendorProfile[] = [
  // e1000e_pci_realize: BAR0 mmio 128 KiB, BAR1 flash 128 KiB, BAR2 I/O 32 B, BAR3 MSI-X 16 KiB; ROM 256 KiB (efi-e1000e.rom).
  { vendor: 0x8086, device: 0x10d3, profile: qemuProfile('qemu-7.2-e1000e', 'QEMU 7.2 e1000e: Device Control and Status read-only, no FLR, AER UNCOR_MASK read-only', [128 * KiB, 128 * KiB, 32, 16 * KiB, 0, 0, 256 * KiB], [...aerUncorMaskReadOnly, ...aerUncorNewerBitsReadOnly, ...aerNoMultiHeader]) },
  // nvme_init_pci: BAR0 64-bit 16 KiB (registers + MSI-X), no ROM.
  { vendor: 0x1b36, device: 0x0010, profile: qemuProfile('qemu-7.2-nvme', 'QEMU 7.2 nvme: Device Control read-only except Initiate FLR', [16 * KiB, undefined, 0, 0, 0, 0, 0], [...flr, ...pmcsrStateOnly('hw/nvme/ctrl.c nvme_add_pm_capability')], { writes: ['sriov'] }) },
  // virtio_pci_realize (disable-legacy=on): BAR1 MSI-X 4 KiB, BAR4 64-bit prefetchable 16 KiB modern BAR; ROM 256 KiB (efi-virtio.rom).
  { vendor: 0x1af4, device: 0x1041, profile: virtioNet(), withProperties: virtioNet },
  // usb_xhci_pci_realize: BAR0 64-bit 16 KiB, no ROM.
  { vendor: 0x1b36, device: 0x000d, profile: qemuProfile('qemu-7.2-xhci', 'QEMU 7.2 qemu-xhci: PCIe capability read-only', [16 * KiB, undefined, 0, 0, 0, 0, 0], []) },
  // gen_rp_realize / rp_realize: BAR0 4 KiB exclusive MSI-X BAR, no ROM.
  { vendor: 0x1b36, device: 0x000c, profile: qemuProfile('qemu-7.2-pcie-root-port', 'QEMU 7.2 pcie-root-port', [4 * KiB, 0, 0, 0, 0, 0, 0], [...bridgeSecLatencyRw, ...deverr, ...slot, ...root, ...arifwd, ...aerUncorMaskReadOnly, ...aerUncorNewerBitsReadOnly, ...acsNoEgressControl], { resetHandler: 'pcie-root-port', writes: ['slot'] }) },
  { vendor: 0x8086, device: 0x3420, profile: qemuProfile('qemu-7.2-ioh3420', 'QEMU 7.2 ioh3420 root port', NO_BARS, [...bridgeSecLatencyRw, ...deverr, ...slot, ...root, ...arifwd, ...aerUncorMaskReadOnly, ...aerUncorNewerBitsReadOnly], { resetHandler: 'ioh3420', writes: ['ioh3420-aer-vector', 'slot'] }) },
  { vendor: 0x104c, device: 0x8232, profile: qemuProfile('qemu-7.2-x3130-upstream', 'QEMU 7.2 x3130 upstream port', NO_BARS, [...bridgeSecLatencyRw, ...deverr, ...flr, ...aerUncorMaskReadOnly, ...aerUncorNewerBitsReadOnly], { resetHandler: 'x3130-upstream' }) },
  { vendor: 0x104c, device: 0x8233, profile: qemuProfile('qemu-7.2-xio3130-downstream', 'QEMU 7.2 xio3130 downstream port', NO_BARS, [...bridgeSecLatencyRw, ...deverr, ...flr, ...slot, ...arifwd, ...aerUncorMaskReadOnly, ...aerUncorNewerBitsReadOnly], { resetHandler: 'xio3130-downstream', writes: ['slot'] }) },
];
