/** Test helpers: place an extended capability at 0x100 of a 4 KiB config space and compile it. */
import type { CapabilityDef, CapReader } from '../../../devices/capability.js';
import { compileLayout } from '../../../devices/compile.js';
import { ConfigSpace } from '../../../devices/config-space.js';
import { placeRegisters } from '../../../devices/registers.js';
import { capReader } from '../../../devices/walker.js';

export const CAP_AT = 0x100;

/** 4 KiB of zeros with an extended header (id, version, next 0) at 0x100 and dwords after it. */
export function extBytes(id: number, version: number, dwords: Record<number, number> = {}): Uint8Array {
  const b = new Uint8Array(4096);
  const put = (off: number, v: number) => {
    for (let i = 0; i < 4; i++) b[CAP_AT + off + i] = (v >>> (8 * i)) & 0xff;
  };
  put(0, (id | (version << 16)) >>> 0);
  for (const [off, v] of Object.entries(dwords)) put(Number(off), v);
  return b;
}

export function reader(bytes: Uint8Array, pcieType?: number, pcieDevcap2?: number): CapReader {
  return capReader(bytes, CAP_AT, pcieType, 0, pcieDevcap2);
}

/** A ConfigSpace whose only registers are this capability's, at 0x100. */
export function spaceFor(def: CapabilityDef, bytes: Uint8Array, pcieType?: number): ConfigSpace {
  const regs = placeRegisters(CAP_AT, def.registers(reader(bytes, pcieType)));
  return new ConfigSpace(bytes, compileLayout(bytes.length, regs));
}

export const names = (def: CapabilityDef, r: CapReader) => def.registers(r).map((x) => x.name);
