/**
 * Generated devices: a capability layout (sim/fuzz/layout.ts) or a seed dump with capabilities
 * unlinked, plus register values, plus optionally the upstream Root Port it sits below.
 *
 * Register values reach the bytes through the model's own write path (ConfigSpace.write), so a
 * read-only bit keeps its value, RW1C bits clear, reserved bits stay zero: every value is one a
 * driver could have left. Bits that trigger an action instead of holding state (self-clearing
 * fields such as PCI_EXP_DEVCTL_BCR_FLR, the PM power state, whose D3hot -> D0 transition resets
 * the function, and a bridge's Secondary Bus Reset) are never written. The header gets values too,
 * after the capabilities, except what firmware assigns (keptHeaderRegister). The result is a dump: what the cycle runs on is what
 * `lusim cycle DUMP --as-found` runs on.
 */
import fc from 'fast-check';
import { buildFunction, type PciFunction } from '../../devices/device.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { parseBdf } from '../../devices/dump/bdf.js';
import { writeLE } from '../../devices/bytes.js';
import type { RegisterDef } from '../../devices/registers.js';
import { walkCapabilities } from '../../devices/walker.js';
import { PCI_CAPABILITY_LIST, PCI_EXP_TYPE_ROOT_PORT } from '../../devices/pci-regs.js';
import { BRIDGE_TYPES, EXTENDED_SHAPES, FUNCTION_TYPES, STANDARD_SHAPES, pcieCap } from './caps.js';
import { encodeLayout, type CapSpec, type LayoutSpec } from './layout.js';

/** Synthetic IDs (the vendor of scripts/make-synthetic.ts), so no driver model matches. */
const VENDOR = 0x1d0f;

export interface LayoutDevice {
  readonly kind: 'layout';
  readonly layout: LayoutSpec;
  readonly values: readonly number[];
  /** The upstream Root Port's layout and values. */
  readonly parent?: { readonly layout: LayoutSpec; readonly values: readonly number[] };
}

/** A seed dump (`lusim fuzz --from-dump`) with some capabilities unlinked and new register values. */
export interface SeedDevice {
  readonly kind: 'seed';
  /** Indexes (walk order) of capabilities unlinked from their chain. */
  readonly drop: readonly number[];
  readonly values: readonly number[];
}

export type DeviceSpec = LayoutDevice | SeedDevice;

const values = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 8 });

function layoutArb(type: number, buses: readonly [number, number, number] | undefined, device: number): fc.Arbitrary<LayoutSpec> {
  const std = fc.uniqueArray(fc.oneof(...Object.values(STANDARD_SHAPES)), { selector: (c) => c.key, maxLength: 4 });
  const ext = fc.uniqueArray(fc.oneof(...Object.values(EXTENDED_SHAPES)), { selector: (c) => c.key, maxLength: 8 });
  return fc.record({ std, ext, at: fc.nat({ max: 4 }), pcie: pcieCap(type) }).map(({ std, ext, at, pcie }) => {
    const chain: CapSpec[] = [...std];
    chain.splice(Math.min(at, chain.length), 0, pcie);
    const headerType = BRIDGE_TYPES.includes(type) ? 1 : 0;
    return { headerType, vendor: VENDOR, device, ...(headerType === 1 && buses ? { buses } : {}), std: chain, ext };
  });
}

/** A function of any PCIe type (endpoints first, so shrinking heads there), with or without its Root Port. */
export const layoutDevice: fc.Arbitrary<LayoutDevice> = fc
  .record({ type: fc.constantFrom(...FUNCTION_TYPES, ...BRIDGE_TYPES), withParent: fc.boolean() })
  .chain(({ type, withParent }) => {
    // Root Ports, RCiEPs and Event Collectors sit on the root bus; the rest may sit below a Root Port.
    const below = withParent && ![PCI_EXP_TYPE_ROOT_PORT, 0x9, 0xa].includes(type);
    const self = layoutArb(type, below ? [1, 2, 2] : [0, 1, 1], 0xf000 | type);
    const parent = below ? fc.record({ layout: layoutArb(PCI_EXP_TYPE_ROOT_PORT, [0, 1, 1], 0xf0ff), values }) : fc.constant(undefined);
    return fc.record({ layout: self, values, parent }).map(({ layout, values: v, parent: p }): LayoutDevice => ({ kind: 'layout', layout, values: v, ...(p ? { parent: p } : {}) }));
  });

/**
 * The capabilities of a seed dump that can be unlinked (walk indexes): all but the head of the
 * extended chain, which is at 0x100 by definition and cannot be skipped by a pointer.
 */
export function droppableCapabilities(seed: DumpDevice): number[] {
  return walkCapabilities(seed.bytes).capabilities.flatMap((c, i) => (c.extended && c.offset === 0x100 ? [] : [i]));
}

/** Mutations around a seed dump: unlink capabilities, rewrite register values. */
export function seedDevice(droppable: readonly number[]): fc.Arbitrary<SeedDevice> {
  const drop = droppable.length ? fc.uniqueArray(fc.constantFrom(...droppable), { maxLength: Math.min(droppable.length, 4) }) : fc.constant([]);
  return fc.record({ drop, values }).map(({ drop: d, values: v }) => ({ kind: 'seed', drop: [...d].sort((a, b) => a - b), values: v }));
}

/**
 * Header registers the generator leaves as the layout or the seed dump has them: a bridge's bus
 * numbers (they place the modelled device below its port), and the BARs and expansion ROM BAR.
 * Firmware's assignment of resources is not state a driver leaves; and BAR sizes are a declared
 * QEMU difference (docs/qemu-differences.md), so a random BAR value makes kernel B's
 * pci_enable_resources decide COMMAND.MEMORY differently under the two personalities, which the
 * personality oracle would report as a disagreement of shared code.
 */
const keptHeaderRegister = (name: string) => /^PCI_(PRIMARY|SECONDARY|SUBORDINATE)_BUS$|^PCI_BASE_ADDRESS_\d$|^PCI_ROM_ADDRESS1?$/.test(name);
/** Secondary Bus Reset: writing it resets the hierarchy below instead of holding state. */
const ACTION_FIELDS = new Set(['PCI_PM_CTRL_STATE_MASK', 'PCI_BRIDGE_CTL_BUS_RESET']);

/** Bits of a register the generator may write: every field but self-clearing triggers and the actions above. */
function writableMask(reg: RegisterDef): number {
  let mask = 0;
  for (const f of reg.fields) {
    if (f.selfClearing || ACTION_FIELDS.has(f.name)) continue;
    for (let b = f.lo; b <= f.hi; b++) mask |= 1 << b;
  }
  return mask >>> 0;
}

/**
 * Writes the values, in turn, into every capability register and then every header register
 * through the model's write path. The header comes last so that a capability register gets the
 * value it got before header values were generated (the same seed fuzzes the same capabilities).
 */
function applyValues(fn: PciFunction, vals: readonly number[]): void {
  let i = 0;
  const header = fn.headerRegisters.filter((reg) => !keptHeaderRegister(reg.name));
  for (const reg of [...fn.walk.capabilities.flatMap((cap) => cap.registers), ...header]) {
    const mask = writableMask(reg);
    if (!mask) continue;
    const v = vals[i % vals.length] ^ Math.imul(i, 0x9e3779b1);
    i++;
    const current = fn.space.read(reg.offset, reg.width);
    const widthMask = reg.width === 4 ? 0xffffffff : (1 << (8 * reg.width)) - 1;
    fn.space.write(reg.offset, reg.width, ((current & ~mask) | (v & mask)) & widthMask);
  }
}

/** A function after its register values are written, and its dump. */
function withValues(dump: DumpDevice, vals: readonly number[]): { dump: DumpDevice; fn: PciFunction } {
  const fn = buildFunction(dump);
  applyValues(fn, vals);
  return { dump: { ...dump, bytes: fn.space.snapshot() }, fn };
}

/** Unlinks the capabilities at the given walk indexes: each predecessor points past them. */
function unlink(bytes: Uint8Array, drop: readonly number[]): Uint8Array {
  const out = bytes.slice();
  const caps = walkCapabilities(bytes).capabilities;
  for (const extended of [false, true]) {
    const chain = caps.map((c, i) => ({ c, i })).filter((x) => x.c.extended === extended);
    const kept = chain.filter((x) => !drop.includes(x.i)).map((x) => x.c.offset);
    if (kept.length === chain.length) continue;
    if (extended) {
      // The head at 0x100 is never dropped (droppableCapabilities); dropping it all empties the chain.
      if (kept[0] !== 0x100) { out.fill(0, 0x100, 0x104); continue; }
      kept.forEach((off, k) => {
        const head = (out[off] | (out[off + 1] << 8) | (out[off + 2] << 16) | (out[off + 3] << 24)) >>> 0;
        writeLE(out, off, 4, ((head & 0x000fffff) | ((kept[k + 1] ?? 0) << 20)) >>> 0);
      });
    } else {
      out[PCI_CAPABILITY_LIST] = kept[0] ?? 0;
      kept.forEach((off, k) => { out[off + 1] = kept[k + 1] ?? 0; });
    }
  }
  return out;
}

/**
 * The dumps a device spec stands for (the device, and its Root Port when it has one), and the
 * modelled functions their values were written into, ready for a cycle. A generated layout's
 * function is the one buildFunction(dump) would make, without building it a second time: its bytes are the dump's,
 * and its capabilities and register tables come from read-only bytes (capability IDs, pointers,
 * versions, sizes, BAR type bits), which the values never reach. test/sim/fuzz/device.test.ts
 * checks that both give the same cycle on many seeds.
 */
export interface MaterializedDevice {
  readonly device: DumpDevice;
  readonly parent?: DumpDevice;
  readonly fn: PciFunction;
  readonly parentFn?: PciFunction;
}

export function materialize(spec: DeviceSpec, seed?: DumpDevice): MaterializedDevice {
  if (spec.kind === 'seed') {
    if (!seed) throw new Error('a seed device needs its seed dump');
    // Built again from the dump: a partial seed capture becomes a complete dump (the model's
    // padding captured as zeros), as `lusim cycle` reads the saved reproducer.
    const { dump } = withValues({ ...seed, bytes: unlink(seed.bytes, spec.drop) }, spec.values);
    return { device: dump, fn: buildFunction(dump) };
  }
  const bdf = parseBdf(spec.parent ? '01:00.0' : '00:03.0');
  const d = withValues({ bdf, description: spec.layout.headerType === 1 ? 'PCI bridge: lusim fuzz port' : 'Ethernet controller: lusim fuzz device', bytes: encodeLayout(spec.layout).bytes }, spec.values);
  if (!spec.parent) return { device: d.dump, fn: d.fn };
  const p = withValues({ bdf: parseBdf('00:1c.0'), description: 'PCI bridge: lusim fuzz Root Port', bytes: encodeLayout(spec.parent.layout).bytes }, spec.parent.values);
  return { device: d.dump, fn: d.fn, parent: p.dump, parentFn: p.fn };
}
