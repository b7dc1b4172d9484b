/**
 * The functions of one dump arranged by bus numbers, as Linux's enumeration would see them
 * (drivers/pci/probe.c pci_scan_bridge): a bridge (header type 1 or 2) owns the buses
 * [secondary, subordinate]; a function on bus B sits on the secondary bus of the bridge whose
 * PCI_SECONDARY_BUS is B (that bridge is bus->self). Bus 0 is the root bus (pci_is_root_bus: no
 * bus->self). A function on another bus whose bridge is not in the dump is taken to sit below a
 * bridge the dump left out (`parent` undefined, `parentInDump` false), and only its siblings in
 * the dump are known.
 */
import { formatBdf, sameBdf, type Bdf } from '../devices/dump/bdf.js';
import type { DumpDevice } from '../devices/dump/types.js';
import { PCI_HEADER_TYPE, PCI_SECONDARY_BUS, PCI_SUBORDINATE_BUS } from '../devices/pci-regs.js';

export interface TopologyNode {
  readonly dump: DumpDevice;
  readonly bdf: Bdf;
  /** PCI_HEADER_TYPE bits 6:0. */
  readonly headerType: number;
  /** PCI_HEADER_TYPE bit 7: dev->multifunction (probe.c pci_setup_device). */
  readonly multifunction: boolean;
  /** Header type 1 or 2: Linux gives it a subordinate bus (dev->subordinate). */
  readonly isBridge: boolean;
  readonly secondary?: number;
  readonly subordinate?: number;
}

export interface Placement {
  readonly node: TopologyNode;
  /** pci_is_root_bus(dev->bus). */
  readonly onRootBus: boolean;
  /** dev->bus->self, when the dump holds it. */
  readonly parent: TopologyNode | undefined;
  /** False when the bus is not the root bus but its bridge is missing from the dump. */
  readonly parentInDump: boolean;
  /** Other functions on the same bus (dev->bus->devices minus dev). */
  readonly siblings: readonly TopologyNode[];
  /** Functions directly on this bridge's secondary bus. */
  readonly children: readonly TopologyNode[];
}

export class Topology {
  readonly nodes: readonly TopologyNode[];

  constructor(devices: readonly DumpDevice[]) {
    this.nodes = devices.map(nodeOf);
  }

  /** The bridge whose secondary bus is `bus` (several dump entries with the same number: the first). */
  bridgeFor(bus: number, domain: number): TopologyNode | undefined {
    return this.nodes.find((n) => n.isBridge && n.bdf.domain === domain && n.secondary === bus && n.secondary !== 0);
  }

  place(bdf: Bdf): Placement {
    const node = this.nodes.find((n) => sameBdf(n.bdf, bdf));
    if (!node) throw new RangeError(`no ${formatBdf(bdf)} in the topology`);
    const onRootBus = bdf.bus === 0;
    const parent = onRootBus ? undefined : this.bridgeFor(bdf.bus, bdf.domain);
    const siblings = this.nodes.filter((n) => n !== node && n.bdf.domain === bdf.domain && n.bdf.bus === bdf.bus);
    const children = node.isBridge && node.secondary !== undefined && node.secondary !== 0
      ? this.nodes.filter((n) => n.bdf.domain === bdf.domain && n.bdf.bus === node.secondary)
      : [];
    return { node, onRootBus, parent, parentInDump: onRootBus || parent !== undefined, siblings, children };
  }
}

function nodeOf(dump: DumpDevice): TopologyNode {
  const b = dump.bytes;
  const ht = b.length > PCI_HEADER_TYPE ? b[PCI_HEADER_TYPE] : 0;
  const headerType = ht & 0x7f;
  const isBridge = headerType === 1 || headerType === 2;
  const base = { dump, bdf: dump.bdf, headerType, multifunction: (ht & 0x80) !== 0, isBridge };
  if (!isBridge || b.length <= PCI_SUBORDINATE_BUS) return base;
  return { ...base, secondary: b[PCI_SECONDARY_BUS], subordinate: b[PCI_SUBORDINATE_BUS] };
}
