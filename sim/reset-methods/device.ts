/**
 * What the reset probes look at, as data: the pci_dev fields and config bytes Linux consults
 * (dev->devcap, dev->pm_cap, dev->dev_flags, dev->multifunction, dev->subordinate, dev->slot,
 * dev->bus, pci_upstream_bridge(dev)), built from a dump and its topology. Facts a dump cannot
 * hold (an ACPI _RST method, a hotplug slot driver, PCI_DEV_FLAGS_NO_* set by quirks) are inputs.
 */
import { readLE } from '../../devices/bytes.js';
import { devfnOf, formatBdf, type Bdf } from '../../devices/dump/bdf.js';
import { capturedMask, isKnown } from '../../devices/dump/known.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { walkCapabilities } from '../../devices/walker.js';
import { ResetMethodsError } from './errors.js';
import type { Topology } from '../topology.js';
import {
  PCI_CAP_ID_AF, PCI_CAP_ID_EXP, PCI_CAP_ID_PM, PCI_DVSEC_CXL_PORT, PCI_DVSEC_CXL_PORT_CTL,
  PCI_EXT_CAP_ID_DVSEC,
} from '../../devices/pci-regs.js';

export type DevFlag = 'no-flr' | 'no-pm' | 'no-bus';

/** --flags spelling -> PCI_DEV_FLAGS_* (include/linux/pci.h). */
export const DEV_FLAG_NAMES: Readonly<Record<DevFlag, string>> = {
  'no-flr': 'PCI_DEV_FLAGS_NO_FLR_RESET',
  'no-pm': 'PCI_DEV_FLAGS_NO_PM_RESET',
  'no-bus': 'PCI_DEV_FLAGS_NO_BUS_RESET',
};

/**
 * dev->slot and its hotplug driver: 'none' (no slot), 'no-reset-op' (e.g. acpiphp or pci_slot:
 * no reset_slot op, so pci_reset_hotplug_slot returns -ENOTTY), 'reset-op' (pciehp:
 * pciehp_reset_slot, which succeeds in probe mode).
 */
export type SlotKind = 'none' | 'no-reset-op' | 'reset-op';

export interface ProbeInputs {
  readonly flags?: readonly DevFlag[];
  /** The device's ACPI companion has _RST (pci-acpi.c pci_dev_acpi_reset). */
  readonly acpiRst?: boolean;
  readonly slot?: SlotKind;
  /** dev->current_state before the reset (0=D0 .. 3=D3hot, 4=D3cold); default D0. */
  readonly currentState?: number;
}

export interface CxlPortDvsec {
  /** PCI_DVSEC_CXL_PORT_CTL_UNMASK_SBR. */
  readonly unmaskSbr: boolean;
}

export interface ResetProbeDevice {
  readonly bdf: Bdf;
  readonly vendor: number;
  readonly device: number;
  readonly classCode: number;
  /** PCI_REVISION_ID (quirk_no_flr_snet keys on it). */
  readonly revision?: number;
  readonly isPcie: boolean;
  /** dev->devcap & PCI_EXP_DEVCAP_FLR (cached at enumeration: probe.c set_pcie_port_type). */
  readonly devcapFlr: boolean;
  /** Advanced Features capability: PCI_AF_CAP TP and FLR bits. */
  readonly af?: { readonly tp: boolean; readonly flr: boolean };
  /** dev->pm_cap is set (pci_pm_init: PM capability with version <= 3). */
  readonly pmCap: boolean;
  readonly pmVersion?: number;
  readonly noSoftReset: boolean;
  readonly bar0Assigned: boolean;
  readonly multifunction: boolean;
  /** dev->subordinate: a bridge has a bus below it. */
  readonly hasSubordinate: boolean;
  readonly onRootBus: boolean;
  /** dev->bus->self exists (false only on the root bus). */
  readonly busHasSelf: boolean;
  readonly parentInDump: boolean;
  readonly parentBdf?: string;
  /** Other functions on dev->bus. */
  readonly siblings: readonly string[];
  /**
   * The functions already on dev->bus->devices when pci_init_reset_methods probes this one: those
   * scanned before it (lower devfn; pci_scan_slot goes fn 0..7, pci_scan_child_bus slot 0..31).
   * pci_device_add runs pci_init_capabilities, which ends in pci_init_reset_methods, before its
   * list_add_tail(&dev->bus_list, &bus->devices) (drivers/pci/probe.c).
   */
  readonly siblingsAtProbe: readonly string[];
  /** The upstream bridge's CXL port DVSEC (pci_find_dvsec_capability(bridge, 0x1e98, 3)). */
  readonly upstreamCxl?: CxlPortDvsec;
  readonly flags: ReadonlySet<DevFlag>;
  readonly acpiRst: boolean;
  readonly slot: SlotKind;
  readonly currentState: number;
  /**
   * Facts the dump cannot tell (bytes never captured, functions absent from it), each with why;
   * a probe that needs one answers CANNOT_TELL instead of guessing.
   */
  readonly unknown?: Readonly<Partial<Record<UnknownFact, string>>>;
}

/** devcap: PCI_EXP_DEVCAP (or whether there is a PCIe capability); pm: the PM capability and PMCSR;
 * af: the AF capability; siblings: the other functions of a multifunction device. */
export type UnknownFact = 'devcap' | 'pm' | 'af' | 'siblings';

export function parseDevFlags(text: string): DevFlag[] {
  // As every list option: empty items (a trailing or doubled comma) name nothing.
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    if (!(s in DEV_FLAG_NAMES)) throw new ResetMethodsError('unknown-flag', `unknown flag "${s}": use a comma-separated list of ${Object.keys(DEV_FLAG_NAMES).join(', ')}`, { flag: s });
    return s as DevFlag;
  });
}

const PCI_VENDOR_ID_CXL = 0x1e98;


export function probeDeviceFromDump(topology: Topology, bdf: Bdf, inputs: ProbeInputs = {}): ResetProbeDevice {
  const place = topology.place(bdf);
  const b = place.node.dump.bytes;
  const known = capturedMask(place.node.dump);
  // The probes read standard capabilities only (PCIe, PM, AF), and no register tables: the
  // extended chain is not walked and no capability's registers are built.
  const walk = walkCapabilities(b, known, { chains: 'standard', registers: false });
  const caps = walk.capabilities.filter((c) => !c.overlaps);
  const std = (id: number) => caps.find((c) => !c.extended && c.id === id);
  const exp = std(PCI_CAP_ID_EXP);
  const pm = std(PCI_CAP_ID_PM);
  const af = std(PCI_CAP_ID_AF);
  const pmVersion = pm ? readLE(b, pm.offset + 2, 2) & 0x7 : undefined;
  const parent = place.parent;
  const upstreamCxl = parent ? cxlPortDvsec(parent.dump) : undefined;
  const headerType = place.node.headerType;
  const bar0 = headerType === 2 ? 0 : readLE(b, 0x10, 4);
  const unknown = unknownFacts(walk.findings.some((f) => f.code === 'not-captured' && f.chain === 'standard'), known, { exp, pm, af }, place.node.multifunction && place.siblings.length === 0);
  return {
    bdf,
    vendor: readLE(b, 0, 2),
    device: readLE(b, 2, 2),
    classCode: readLE(b, 9, 3),
    revision: b[8] ?? 0,
    isPcie: exp !== undefined,
    devcapFlr: exp !== undefined && (readLE(b, exp.offset + 4, 4) & 0x10000000) !== 0,
    ...(af ? { af: { tp: (b[af.offset + 3] & 0x01) !== 0, flr: (b[af.offset + 3] & 0x02) !== 0 } } : {}),
    pmCap: pm !== undefined && (pmVersion ?? 0) <= 3,
    ...(pmVersion !== undefined ? { pmVersion } : {}),
    noSoftReset: pm !== undefined && (readLE(b, pm.offset + 4, 2) & 0x0008) !== 0,
    // pci_resource_start(dev, 0): an assigned BAR0 has address bits above its type bits.
    bar0Assigned: (bar0 & 1 ? bar0 & ~0x3 : bar0 & ~0xf) !== 0,
    multifunction: place.node.multifunction,
    hasSubordinate: place.node.isBridge,
    onRootBus: place.onRootBus,
    busHasSelf: !place.onRootBus,
    parentInDump: place.parentInDump,
    ...(parent ? { parentBdf: formatBdf(parent.bdf) } : {}),
    siblings: place.siblings.map((s) => formatBdf(s.bdf)),
    siblingsAtProbe: place.siblings.filter((s) => devfnOf(s.bdf) < devfnOf(bdf)).map((s) => formatBdf(s.bdf)),
    ...(upstreamCxl ? { upstreamCxl } : {}),
    flags: new Set(inputs.flags ?? []),
    acpiRst: inputs.acpiRst ?? false,
    slot: inputs.slot ?? 'none',
    currentState: inputs.currentState ?? 0,
    ...(Object.keys(unknown).length > 0 ? { unknown } : {}),
  };
}

/** What a partial dump hides from the probes: a capability the chain may hold past the capture, or its registers. */
function unknownFacts(chainUnseen: boolean, known: Uint8Array, caps: { exp?: { offset: number }; pm?: { offset: number }; af?: { offset: number } }, lonelyMultifunction: boolean): Partial<Record<UnknownFact, string>> {
  const out: Partial<Record<UnknownFact, string>> = {};
  const unseen = 'the capability list runs past the bytes the dump holds';
  if (caps.exp ? !isKnown(known, caps.exp.offset + 4, 4) : chainUnseen) out.devcap = caps.exp ? 'PCI_EXP_DEVCAP is not in the dump' : `whether the function is PCI Express: ${unseen}`;
  if (caps.pm ? !isKnown(known, caps.pm.offset + 2, 4) : chainUnseen) out.pm = caps.pm ? 'PCI_PM_PMC / PCI_PM_CTRL are not in the dump' : `whether there is a PM capability: ${unseen}`;
  if (caps.af ? !isKnown(known, caps.af.offset + 3, 1) : chainUnseen) out.af = caps.af ? 'PCI_AF_CAP is not in the dump' : `whether there is an AF capability: ${unseen}`;
  if (lonelyMultifunction) out.siblings = 'the function is multifunction (PCI_HEADER_TYPE bit 7) but no other function of its bus is in the dump';
  return out;
}

/**
 * The device as pci_init_reset_methods sees it during enumeration: no dev->subordinate yet (a
 * bridge's bus is added by pci_scan_bridge_extend after every slot of its own bus is scanned,
 * drivers/pci/probe.c pci_scan_child_bus_extend), and only the functions scanned before it on its
 * bus. sysfs reset_method shows the list made then (pci-sysfs.c reset_method_show reads
 * dev->reset_methods[]); a reset itself checks the device as it is.
 */
export function atEnumeration(dev: ResetProbeDevice): ResetProbeDevice {
  return { ...dev, hasSubordinate: false, siblings: dev.siblingsAtProbe };
}

function cxlPortDvsec(dump: DumpDevice): CxlPortDvsec | undefined {
  const b = dump.bytes;
  for (const c of walkCapabilities(b).capabilities) {
    if (!c.extended || c.id !== PCI_EXT_CAP_ID_DVSEC || c.overlaps) continue;
    // PCI_DVSEC_HEADER1 vendor [15:0] at +4, PCI_DVSEC_HEADER2 ID [15:0] at +8.
    if (readLE(b, c.offset + 4, 2) === PCI_VENDOR_ID_CXL && readLE(b, c.offset + 8, 2) === PCI_DVSEC_CXL_PORT) {
      return { unmaskSbr: (readLE(b, c.offset + PCI_DVSEC_CXL_PORT_CTL, 2) & 0x1) !== 0 };
    }
  }
  return undefined;
}
