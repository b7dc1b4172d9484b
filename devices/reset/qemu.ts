/**
 * What QEMU 7.2 does on reset, where it differs from the spec (qemu.md sections 2.2 and 3; QEMU
 * 7.2 hw/pci/pci.c pci_do_device_reset, msi.c msi_reset, msix.c msix_reset, and the device reset
 * handlers named below). QEMU has no sticky concept: "survives" means no reset code touches it.
 *
 * FLR (pcie_cap_flr_write_config -> pci_device_reset), a secondary bus reset (pci_bridge_write_config
 * on a 0->1 BUS_RESET edge -> reset of every device below) and system_reset (qemu_devices_reset ->
 * pcibus_reset) all run the same two parts: the device's reset handler and pci_do_device_reset.
 * A D3hot->D0 transition resets nothing, whatever No_Soft_Reset says; only PMCSR changes.
 * FLR happens only on devices that called pcie_cap_flr_init (DEVCAP.FLR=1); elsewhere a BCR_FLR
 * write does nothing.
 */
import type { PciFunction } from '../device.js';
import { readLE } from '../bytes.js';
import { capabilityAt, capabilityById } from '../capability-lookup.js';
import { hasFlr, type ResetPlan } from './plan.js';
import type { ResetKind } from './kinds.js';
import type { QemuResetHandlerKey } from '../profile.js';
import { aerVectorFor, type QemuAerVector } from '../profiles/qemu-7.2-writes.js';
import { resetPowerState } from './spec.js';
import type { FieldDef } from '../registers.js';
import {
  PCI_CAP_ID_EXP, PCI_CAP_ID_MSI, PCI_CAP_ID_MSIX, PCI_CAP_ID_PM, PCI_ERR_ROOT_AER_IRQ, PCI_ERR_ROOT_STATUS,
  PCI_EXP_DEVSTA, PCI_EXT_CAP_ID_ACS, PCI_EXT_CAP_ID_ERR, PCI_PM_CTRL,
} from '../pci-regs.js';

const GENERIC = 'qemu-7.2 pci_do_device_reset';

export const QEMU_RULE = {
  command: `${GENERIC}: clears the writable and W1C bits of COMMAND and STATUS`,
  intLine: `${GENERIC}: clears the writable bits of INTERRUPT_LINE`,
  cacheLine: `${GENERIC}: CACHE_LINE_SIZE = 0`,
  bar: `${GENERIC} -> pci_reset_regions: BAR back to its type bits`,
  msi: 'qemu-7.2 msi_reset: clears ENABLE, QSIZE, address, data, mask and pending bits',
  msix: 'qemu-7.2 msix_reset: clears the writable Message Control bits (table and PBA are in BAR memory)',
  pmNothing: 'qemu-7.2: D3hot->D0 resets nothing, whatever No_Soft_Reset says (qemu.md 2.2 OBS)',
  pmState: 'qemu-7.2: the PMCSR write itself moves PowerState to D0',
  noFlr: 'qemu-7.2: no pcie_cap_flr_init, so a BCR_FLR write does nothing (qemu.md 2.2 OBS)',
  aer: 'qemu-7.2: pci_do_device_reset does not touch AER',
  devsta: 'qemu-7.2: no reset code touches Device Status',
  pmcsr: 'qemu-7.2: this device\'s reset handler does not touch PMCSR (D3 stays D3)',
  untouched: 'qemu-7.2: no reset code touches it (pci_do_device_reset and the device reset handler leave it)',
  scratch: 'qemu-7.2: unclaimed RW scratch byte (pci_init_wmask); no reset clears it',
} as const;

/** One register change a device reset handler makes, relative to a capability or the header. */
export interface QemuResetAction {
  /** 'header', or the capability the offset is relative to. */
  readonly in: 'header' | { readonly id: number; readonly extended: boolean };
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly clear: number;
  readonly set: number;
  /** Only when the slot below a port is (not) populated (pcie_cap_slot_reset). */
  readonly when?: 'slot-populated' | 'slot-empty';
  /** Only when SLTCAP has a Power Controller (dev->cap_present & QEMU_PCIE_SLTCAP_PCP). */
  readonly needsPowerController?: boolean;
  readonly source: string;
}

export interface QemuResetHandler {
  readonly name: string;
  /** rp_aer_vector_update, run before the actions. */
  readonly aerVector?: QemuAerVector;
  readonly actions: readonly QemuResetAction[];
}

const EXP = { id: PCI_CAP_ID_EXP, extended: false } as const;
const act = (inCap: QemuResetAction['in'], offset: number, width: 1 | 2 | 4, clear: number, set: number, source: string, extra: Partial<QemuResetAction> = {}): QemuResetAction =>
  ({ in: inCap, offset, width, clear, set, source, ...extra });

const DEVERR = act(EXP, 0x08, 2, 0x000f, 0, 'qemu-7.2 pcie_cap_deverr_reset: DEVCTL CERE|NFERE|FERE|URRE cleared');

/** hw/pci/pcie.c pcie_cap_slot_reset (ports with a slot: pcie_cap_slot_init). */
const SLOT_RESET: readonly QemuResetAction[] = [
  act(EXP, 0x18, 2, 0x0800 | 0x0300 | 0x00c0 | 0x0020 | 0x0010 | 0x0008 | 0x0001, 0x00c0, 'qemu-7.2 pcie_cap_slot_reset: SLTCTL EIC|PIC|AIC|HPIE|CCIE|PDCE|ABPE cleared, attention indicator off'),
  act(EXP, 0x18, 2, 0x0400, 0x0100, 'qemu-7.2 pcie_cap_slot_reset: populated slot powered on, power indicator on', { when: 'slot-populated', needsPowerController: true }),
  act(EXP, 0x18, 2, 0x0000, 0x0400 | 0x0300, 'qemu-7.2 pcie_cap_slot_reset: empty slot powered off, power indicator off', { when: 'slot-empty', needsPowerController: true }),
  act(EXP, 0x1a, 2, 0x0080 | 0x0010 | 0x0008 | 0x0001, 0, 'qemu-7.2 pcie_cap_slot_reset: SLTSTA EIS|CC|PDC|ABP cleared'),
];

const ARIFWD_RESET = act(EXP, 0x28, 2, 0x0020, 0, 'qemu-7.2 pcie_cap_arifwd_reset: DEVCTL2 ARI forwarding off');

/**
 * hw/pci/pci_bridge.c pci_bridge_reset: bus numbers and secondary latency 0, the address bits of
 * every window cleared (the type bits stay: a 64-bit prefetchable window reads 0x0001), upper
 * prefetchable halves 0, BRIDGE_CONTROL 0.
 */
const BRIDGE_RESET: readonly QemuResetAction[] = [
  act('header', 0x18, 4, 0xffffffff, 0, 'qemu-7.2 pci_bridge_reset: bus numbers and secondary latency = 0'),
  act('header', 0x1c, 1, 0xf0, 0, 'qemu-7.2 pci_bridge_reset: I/O base address bits cleared'),
  act('header', 0x1d, 1, 0xf0, 0, 'qemu-7.2 pci_bridge_reset: I/O limit address bits cleared'),
  act('header', 0x20, 2, 0xfff0, 0, 'qemu-7.2 pci_bridge_reset: memory base cleared'),
  act('header', 0x22, 2, 0xfff0, 0, 'qemu-7.2 pci_bridge_reset: memory limit cleared'),
  act('header', 0x24, 2, 0xfff0, 0, 'qemu-7.2 pci_bridge_reset: prefetchable base address bits cleared'),
  act('header', 0x26, 2, 0xfff0, 0, 'qemu-7.2 pci_bridge_reset: prefetchable limit address bits cleared'),
  act('header', 0x28, 4, 0xffffffff, 0, 'qemu-7.2 pci_bridge_reset: PREF_BASE_UPPER32 = 0'),
  act('header', 0x2c, 4, 0xffffffff, 0, 'qemu-7.2 pci_bridge_reset: PREF_LIMIT_UPPER32 = 0'),
  act('header', 0x3e, 2, 0xffff, 0, 'qemu-7.2 pci_bridge_reset: BRIDGE_CONTROL = 0'),
];

/** hw/pci/pci_bridge.c pci_bridge_disable_base_limit: every window base above its limit. */
const DISABLE_BASE_LIMIT: readonly QemuResetAction[] = [
  act('header', 0x1c, 1, 0, 0xf0, 'qemu-7.2 pci_bridge_disable_base_limit: I/O window disabled (base > limit)'),
  act('header', 0x20, 2, 0, 0xfff0, 'qemu-7.2 pci_bridge_disable_base_limit: memory window disabled (base > limit)'),
  act('header', 0x24, 2, 0, 0xfff0, 'qemu-7.2 pci_bridge_disable_base_limit: prefetchable window disabled (base > limit)'),
];

/**
 * hw/pci-bridge/pcie_root_port.c rp_reset, in its order: rp_aer_vector_update (first, so it sees
 * MSI as it was: msi_reset runs later, in pci_do_device_reset), pcie_cap_root_reset,
 * pcie_cap_deverr_reset, pcie_cap_slot_reset, pcie_cap_arifwd_reset, pcie_acs_reset,
 * pcie_aer_root_reset, pci_bridge_reset, pci_bridge_disable_base_limit.
 */
function rootPort(aerVector: QemuAerVector): QemuResetHandler {
  return {
    name: 'rp_reset',
    aerVector,
    actions: [
      act(EXP, 0x1c, 2, 0xffff, 0, 'qemu-7.2 pcie_cap_root_reset: RTCTL = 0'),
      DEVERR,
      ...SLOT_RESET,
      ARIFWD_RESET,
      act({ id: PCI_EXT_CAP_ID_ACS, extended: true }, 0x06, 2, 0xffff, 0, 'qemu-7.2 pcie_acs_reset: ACS Control = 0'),
      act({ id: PCI_EXT_CAP_ID_ERR, extended: true }, 0x2c, 4, 0xffffffff, 0, 'qemu-7.2 pcie_aer_root_reset: ROOT_COMMAND = 0'),
      ...BRIDGE_RESET,
      ...DISABLE_BASE_LIMIT,
    ],
  };
}

/** hw/pci-bridge/xio3130_upstream.c xio3130_upstream_reset: pci_bridge_reset + pcie_cap_deverr_reset. */
const XIO3130_UPSTREAM: QemuResetHandler = {
  name: 'xio3130_upstream_reset',
  actions: [...BRIDGE_RESET, DEVERR],
};

/**
 * hw/pci-bridge/xio3130_downstream.c xio3130_downstream_reset: pcie_cap_deverr_reset,
 * pcie_cap_slot_reset, pcie_cap_arifwd_reset, pci_bridge_reset (windows zeroed, not disabled).
 */
const XIO3130_DOWNSTREAM: QemuResetHandler = {
  name: 'xio3130_downstream_reset',
  actions: [DEVERR, ...SLOT_RESET, ARIFWD_RESET, ...BRIDGE_RESET],
};

/** hw/virtio/virtio-pci.c virtio_pci_bus_reset (PCIe variant, x-pcie-* defaults on). */
const VIRTIO_PCI: QemuResetHandler = {
  name: 'virtio_pci_bus_reset',
  actions: [
    DEVERR,
    act(EXP, 0x10, 2, 0x0040 | 0x0080, 0, 'qemu-7.2 pcie_cap_lnkctl_reset: LNKCTL CCC|ES cleared'),
    act({ id: PCI_CAP_ID_PM, extended: false }, PCI_PM_CTRL, 2, 0xffff, 0, 'qemu-7.2 virtio_pci_bus_reset: PMCSR = 0 (back to D0)'),
  ],
};

/**
 * Device reset handlers, by the profile's `resetHandler` (devices/profiles/qemu-7.2.ts). Profiles
 * without one (e1000e, nvme, qemu-xhci) have handlers that touch only BAR-side state (qemu.md 2.2).
 */
export const QEMU_72_RESET_HANDLERS: Readonly<Record<QemuResetHandlerKey, QemuResetHandler>> = {
  'pcie-root-port': rootPort('gen_rp_aer_vector'),
  ioh3420: rootPort('ioh3420_aer_vector'),
  'x3130-upstream': XIO3130_UPSTREAM,
  'xio3130-downstream': XIO3130_DOWNSTREAM,
  'virtio-pci': VIRTIO_PCI,
};

export interface QemuResetContext {
  /** Whether a device sits below this port (decides PCC/PIC in pcie_cap_slot_reset). */
  readonly slotPopulated?: boolean;
}

/** Whether QEMU performs `kind` at all on this function. */
export function qemuPerforms(fn: PciFunction, kind: ResetKind): boolean {
  return kind !== 'flr' || hasFlr(fn);
}

export function planQemuReset(fn: PciFunction, kind: ResetKind, plan: ResetPlan, ctx: QemuResetContext, notes: string[]): void {
  if (kind === 'pm') {
    resetPowerState(fn, plan, QEMU_RULE.pmState);
    return;
  }
  if (!qemuPerforms(fn, kind)) return;
  const handler = fn.profile.resetHandler ? QEMU_72_RESET_HANDLERS[fn.profile.resetHandler] : undefined;
  if (handler) applyHandler(fn, handler, plan, ctx, notes);
  planGeneric(fn, plan);
}

function applyHandler(fn: PciFunction, handler: QemuResetHandler, plan: ResetPlan, ctx: QemuResetContext, notes: string[]): void {
  if (handler.aerVector) planAerVector(fn, handler.aerVector, plan, `qemu-7.2 rp_aer_vector_update -> ${handler.aerVector} (${handler.name})`);
  const exp = capabilityById(fn, PCI_CAP_ID_EXP, false);
  const powerController = exp !== undefined && (readLE(fn.space.bytes, exp.offset + 0x14, 4) & 0x2) !== 0;
  for (const a of handler.actions) {
    if (a.needsPowerController && !powerController) continue;
    if (a.when !== undefined) {
      if (ctx.slotPopulated === undefined) {
        if (!notes.some((n) => n.startsWith('slot population'))) notes.push('slot population unknown (no device below this port in the dump): Power Controller Control and Power Indicator are left as they were; QEMU sets them from the slot\'s population');
        continue;
      }
      if ((a.when === 'slot-populated') !== ctx.slotPopulated) continue;
    }
    const base = a.in === 'header' ? 0 : capabilityById(fn, a.in.id, a.in.extended)?.offset;
    if (base === undefined) continue;
    plan.reset(base + a.offset, a.width, a.clear, a.set, `${a.source} (${handler.name})`);
  }
}

/** rp_aer_vector_update over the plan: the vector from MSI as it is before msi_reset. */
function planAerVector(fn: PciFunction, which: QemuAerVector, plan: ResetPlan, rule: string): void {
  const aer = capabilityById(fn, PCI_EXT_CAP_ID_ERR, true);
  const msi = capabilityById(fn, PCI_CAP_ID_MSI, false);
  if (!aer) return;
  const vector = aerVectorFor(which, msi ? fn.space.read(msi.offset + 2, 2) : 0);
  if (vector === undefined) return;
  plan.reset(aer.offset + PCI_ERR_ROOT_STATUS, 4, PCI_ERR_ROOT_AER_IRQ, vector * 2 ** 27, rule);
}

function planGeneric(fn: PciFunction, plan: ResetPlan): void {
  const m = fn.space;
  const wc = (o: number, w: 1 | 2 | 4) => (m.mask('writable', o, w) | m.mask('w1c', o, w)) >>> 0;
  plan.reset(0x04, 2, wc(0x04, 2), 0, QEMU_RULE.command);
  plan.reset(0x06, 2, wc(0x06, 2), 0, QEMU_RULE.command);
  plan.reset(0x3c, 1, wc(0x3c, 1), 0, QEMU_RULE.intLine);
  plan.reset(0x0c, 1, 0xff, 0, QEMU_RULE.cacheLine);
  const headerType = fn.space.bytes[0x0e] & 0x7f;
  const bars = headerType === 1 ? [0x10, 0x14, 0x38] : headerType === 0 ? [0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30] : [];
  for (const o of bars) plan.reset(o, 4, m.mask('writable', o, 4), 0, QEMU_RULE.bar);

  const msi = capabilityById(fn, PCI_CAP_ID_MSI, false);
  if (msi) {
    const flags = m.read(msi.offset + 2, 2);
    const is64 = (flags & 0x0080) !== 0;
    const maskable = (flags & 0x0100) !== 0;
    plan.reset(msi.offset + 2, 2, 0x0070 | 0x0001, 0, QEMU_RULE.msi);
    plan.reset(msi.offset + 4, 4, 0xffffffff, 0, QEMU_RULE.msi);
    if (is64) plan.reset(msi.offset + 8, 4, 0xffffffff, 0, QEMU_RULE.msi);
    plan.reset(msi.offset + (is64 ? 0x0c : 0x08), 2, 0xffff, 0, QEMU_RULE.msi);
    if (maskable) {
      const vectors = 1 << ((flags >> 1) & 0x7);
      const vecMask = vectors >= 32 ? 0xffffffff : (1 << vectors) - 1;
      plan.reset(msi.offset + (is64 ? 0x10 : 0x0c), 4, vecMask, 0, QEMU_RULE.msi);
      plan.reset(msi.offset + (is64 ? 0x14 : 0x10), 4, vecMask, 0, QEMU_RULE.msi);
    }
  }
  const msix = capabilityById(fn, PCI_CAP_ID_MSIX, false);
  if (msix) plan.reset(msix.offset + 2, 2, m.mask('writable', msix.offset + 2, 2), 0, QEMU_RULE.msix);
}

/** Why an untouched field survived under the QEMU 7.2 personality. */
export function qemuSurvivalRule(fn: PciFunction, regOffset: number, fd: FieldDef, kind: ResetKind, fallback: string): string {
  if (fd.access === 'RO' || fd.access === 'RsvdP' || fd.access === 'RsvdZ' || (fd.access === 'HwInit' && kind !== 'cold')) return fallback;
  if (kind === 'pm') return QEMU_RULE.pmNothing;
  if (!qemuPerforms(fn, kind)) return QEMU_RULE.noFlr;
  const cap = capabilityAt(fn, regOffset);
  if (cap?.extended && cap.id === PCI_EXT_CAP_ID_ERR) return QEMU_RULE.aer;
  if (cap && !cap.extended && cap.id === PCI_CAP_ID_EXP && regOffset === cap.offset + PCI_EXP_DEVSTA) return QEMU_RULE.devsta;
  if (cap && !cap.extended && cap.id === PCI_CAP_ID_PM && regOffset === cap.offset + PCI_PM_CTRL) return QEMU_RULE.pmcsr;
  return QEMU_RULE.untouched;
}
