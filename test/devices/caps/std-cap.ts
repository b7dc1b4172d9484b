/** Build a standalone standard capability at a fixed offset over zeroed bytes, for per-capability tests. */
import type { CapabilityDef } from '../../../devices/capability.js';
import { compileLayout } from '../../../devices/compile.js';
import { ConfigSpace } from '../../../devices/config-space.js';
import { placeRegisters, type RegisterDef } from '../../../devices/registers.js';
import { capReader } from '../../../devices/walker.js';

export interface PlacedCap {
  readonly space: ConfigSpace;
  readonly size: number;
  readonly version: number;
  /** Registers relative to the capability. */
  readonly regs: RegisterDef[];
  readonly at: number;
}

/** `init` maps capability-relative offsets to little-endian values of the given width. */
export function placeCap(def: CapabilityDef, init: [rel: number, width: 1 | 2 | 4, value: number][], opts: { at?: number; headerType?: number } = {}): PlacedCap {
  const at = opts.at ?? 0x40;
  const bytes = new Uint8Array(4096);
  const view = new DataView(bytes.buffer);
  bytes[at] = def.id;
  for (const [rel, width, value] of init) {
    if (width === 1) view.setUint8(at + rel, value);
    else if (width === 2) view.setUint16(at + rel, value, true);
    else view.setUint32(at + rel, value, true);
  }
  const reader = capReader(bytes, at, undefined, opts.headerType ?? 0);
  const regs = def.registers(reader);
  const space = new ConfigSpace(bytes, compileLayout(bytes.length, placeRegisters(at, regs)));
  return { space, size: def.size(reader), version: def.version(reader), regs, at };
}

export const regNames = (c: PlacedCap) => c.regs.map((r) => r.name);
