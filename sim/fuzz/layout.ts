/**
 * A capability layout as data, and its encoding into config-space bytes.
 *
 * A layout lists the function's standard and extended capabilities in chain order; each says
 * which capability it is, the few read-only bytes that decide its size and register set (its
 * "shape": PCIe Flags, MSI Flags, the REBAR count, ...), and a gap before it. The encoder places
 * each one at the next dword-aligned offset after the previous one plus its gap, sized by the
 * capability registry's own `size()` (devices/caps/*.ts), so capabilities are aligned,
 * non-overlapping and within the space by construction; one that would not fit is left out.
 * The chain pointers follow PCI r3.0 6.7 (standard, from PCI_CAPABILITY_LIST) and PCIe r6.0
 * 7.6.3 (extended header: ID[15:0], version[19:16], next[31:20]).
 */
import { SimError } from '../errors.js';
import { capReader } from '../../devices/walker.js';
import { capabilityByKey } from '../../devices/caps/index.js';
import { writeLE as putLE } from '../../devices/bytes.js';
import {
  PCI_CAPABILITY_LIST, PCI_CAP_ID_EXP, PCI_CFG_SPACE_EXP_SIZE, PCI_CFG_SPACE_SIZE, PCI_EXP_DEVCAP2,
  PCI_EXP_FLAGS, PCI_PREF_MEMORY_BASE, PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64, PCI_STATUS, PCI_STATUS_CAP_LIST,
} from '../../devices/pci-regs.js';

/** [offset relative to the capability, width, value]. */
export type Poke = readonly [rel: number, width: 1 | 2 | 4, value: number];

export interface CapSpec {
  /** Registry key (devices/caps/index.ts): pm, msi, pcie, aer, ... */
  readonly key: string;
  /** Dwords left free before the capability. */
  readonly gap: number;
  /** Read-only bytes that decide the capability's size and registers. */
  readonly shape: readonly Poke[];
  /** Extended capability version (header bits 19:16). */
  readonly version?: number;
  /** Bytes the capability owns past its registry size (a VC arbitration table placed after it). */
  readonly tail?: number;
}

export interface LayoutSpec {
  /** 0: endpoint header; 1: PCI-to-PCI bridge header (ports). */
  readonly headerType: 0 | 1;
  readonly vendor: number;
  readonly device: number;
  /** Bus numbers of a type 1 header: [primary, secondary, subordinate]. */
  readonly buses?: readonly [number, number, number];
  readonly std: readonly CapSpec[];
  readonly ext: readonly CapSpec[];
}

/** Where each capability of a layout ended up (absent: it did not fit). */
export interface Placement {
  readonly key: string;
  readonly extended: boolean;
  readonly offset: number;
  readonly size: number;
}

const align4 = (n: number) => (n + 3) & ~3;

function defOf(key: string, extended: boolean) {
  const d = capabilityByKey(key);
  if (!d || d.extended !== extended) throw new SimError('invalid-input', `layout names capability "${key}" (${extended ? 'extended' : 'standard'}), which the registry does not have`, { key });
  return d;
}

interface ChainContext {
  readonly bytes: Uint8Array;
  readonly headerType: number;
  readonly pcieType: number | undefined;
  readonly devcap2: number | undefined;
}

/** Places one chain; returns the placements in chain order. */
function placeChain(ctx: ChainContext, caps: readonly CapSpec[], extended: boolean): Placement[] {
  const start = extended ? PCI_CFG_SPACE_SIZE : 0x40;
  const end = extended ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE;
  const placed: Placement[] = [];
  let cursor = start;
  const scratch = new Uint8Array(end);
  for (const cap of caps) {
    const def = defOf(cap.key, extended);
    // The extended chain starts at 0x100 by definition (PCIe r6.0 7.6.3): no gap before its head.
    const offset = align4(cursor) + (extended && !placed.length ? 0 : 4 * cap.gap);
    // Size the capability from its own shape bytes on a zeroed scratch space: the registry's size()
    // reads only the capability's bytes (and the function's PCIe type, header type and DEVCAP2).
    scratch.fill(0);
    // The header first: a size may depend on the version in it (AER v2 with TLP prefixes).
    if (extended) putLE(scratch, offset, 4, def.id | ((cap.version ?? 1) << 16));
    else scratch[offset] = def.id;
    for (const [rel, width, value] of cap.shape) putLE(scratch, offset + rel, width, value);
    const size = def.size(capReader(scratch, offset, ctx.pcieType, ctx.headerType, ctx.devcap2)) + (cap.tail ?? 0);
    if (offset + size > end) continue;
    for (const [rel, width, value] of cap.shape) putLE(ctx.bytes, offset + rel, width, value);
    if (!extended) ctx.bytes[offset] = def.id;
    placed.push({ key: cap.key, extended, offset, size });
    cursor = offset + size;
  }
  // Chain pointers last, so a shape can never overwrite them.
  placed.forEach((p, i) => {
    const next = placed[i + 1]?.offset ?? 0;
    const def = defOf(p.key, extended);
    if (extended) {
      const version = caps.find((c) => c.key === p.key)?.version ?? 1;
      putLE(ctx.bytes, p.offset, 4, (def.id | (version << 16) | (next << 20)) >>> 0);
    } else {
      ctx.bytes[p.offset] = def.id;
      ctx.bytes[p.offset + 1] = next;
    }
  });
  return placed;
}

export interface EncodedLayout {
  readonly bytes: Uint8Array;
  readonly placements: readonly Placement[];
}

/** The layout's config space (4096 bytes): header, both chains, zeros elsewhere. */
export function encodeLayout(spec: LayoutSpec): EncodedLayout {
  const bytes = new Uint8Array(PCI_CFG_SPACE_EXP_SIZE);
  putLE(bytes, 0x00, 2, spec.vendor);
  putLE(bytes, 0x02, 2, spec.device);
  // Class: network controller for an endpoint, PCI-to-PCI bridge for a type 1 header.
  putLE(bytes, 0x08, 4, spec.headerType === 1 ? 0x06040000 : 0x02000000);
  bytes[0x0e] = spec.headerType;
  bytes[0x3d] = 1; // INTA#
  if (spec.headerType === 1 && spec.buses) spec.buses.forEach((b, i) => { bytes[0x18 + i] = b; });
  // A port's prefetchable window decodes 64-bit addresses (its base and limit type bits, read-only),
  // as on QEMU's ports and most real ones: the upper 32 bits at 0x28 and 0x2c are then registers
  // the generated values reach (sim/fuzz/device.ts), not hardwired zeros.
  if (spec.headerType === 1) { bytes[PCI_PREF_MEMORY_BASE] = PCI_PREF_RANGE_TYPE_64; bytes[PCI_PREF_MEMORY_LIMIT] = PCI_PREF_RANGE_TYPE_64; }
  const pcie = spec.std.find((c) => c.key === 'pcie');
  const poke = (rel: number) => pcie?.shape.find(([r]) => r === rel)?.[2];
  const flags = poke(PCI_EXP_FLAGS);
  const ctx: ChainContext = {
    bytes, headerType: spec.headerType,
    pcieType: flags === undefined ? undefined : (flags >> 4) & 0xf,
    devcap2: (flags ?? 0) & 0xf ? poke(PCI_EXP_DEVCAP2) ?? 0 : undefined,
  };
  const std = placeChain(ctx, spec.std, false);
  if (std.length) {
    putLE(bytes, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
    bytes[PCI_CAPABILITY_LIST] = std[0].offset;
  }
  // Extended capabilities exist only on a function with a PCIe capability (probe.c pci_cfg_space_size).
  const ext = std.some((p) => defOf(p.key, false).id === PCI_CAP_ID_EXP) ? placeChain(ctx, spec.ext, true) : [];
  return { bytes, placements: [...std, ...ext] };
}
