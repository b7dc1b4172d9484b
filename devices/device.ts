/**
 * A modelled PCI function: the dump's bytes, the capabilities the walker found, the register
 * tables of the header and each capability compiled (with the profile's overrides) into one
 * ConfigSpace. Overlapping or truncated capabilities contribute no registers (the walker reports
 * them), so a malformed dump still yields a usable, honest model.
 */
import { applyOverrides, type CapabilityInstance, type RegisterDef } from './registers.js';
import { compileLayout } from './compile.js';
import { ConfigSpace } from './config-space.js';
import type { Bdf } from './dump/bdf.js';
import { capturedMask } from './dump/known.js';
import type { DumpDevice } from './dump/types.js';
import { headerRegisters } from './header.js';
import { installResetHooks } from './reset/hooks.js';
import { SPEC_PROFILE, type DeviceProfile } from './profile.js';
import { walkCapabilities, type WalkResult } from './walker.js';
import { PCI_CFG_SPACE_EXP_SIZE, PCI_CFG_SPACE_SIZE } from './pci-regs.js';

export interface PciFunction {
  readonly bdf: Bdf;
  readonly description: string | undefined;
  readonly space: ConfigSpace;
  readonly walk: WalkResult;
  readonly profile: DeviceProfile;
  /** Bytes the dump actually held (the model pads the rest of config space with zeros). */
  readonly captured: number;
  /**
   * Per byte of config space: 1 if the dump captured it. The model's other bytes are padding
   * (zeros), unknown: verdicts and reset probes that need them say so instead of using them.
   */
  readonly known: Uint8Array;
  readonly headerRegisters: readonly RegisterDef[];
}

export function buildFunction(dump: DumpDevice, profile: DeviceProfile = SPEC_PROFILE): PciFunction {
  const captured = dump.bytes.length;
  const mask = capturedMask(dump);
  const walk = walkCapabilities(dump.bytes, mask);
  // The size Linux gives the function (pci_cfg_space_size), not the length of the capture.
  const size = walk.cfgSize?.size ?? (captured > PCI_CFG_SPACE_SIZE ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE);
  const bytes = new Uint8Array(size);
  bytes.set(dump.bytes.subarray(0, size));
  const known = mask.slice(0, size);
  const headerType = bytes[0x0e] & 0x7f;
  const header = headerRegisters(headerType, { bytes: dump.bytes, ...(profile.barSizes ? { barSizes: profile.barSizes } : {}) });
  const capRegs = walk.capabilities.flatMap((c) => c.registers);
  const owner = new Map<RegisterDef, CapabilityInstance>();
  for (const c of walk.capabilities) for (const reg of c.registers) owner.set(reg, { key: c.key, offset: c.offset });
  const registers = applyOverrides([...header, ...capRegs], profile.overrides, (reg) => owner.get(reg) ?? { key: 'header', offset: 0 }, bytes);
  const layout = compileLayout(size, registers, profile.unclaimed);
  const space = new ConfigSpace(bytes, layout);
  for (const hook of profile.writeHooks?.(walk, size) ?? []) space.addHook(hook);
  const fn: PciFunction = { bdf: dump.bdf, description: dump.description, space, walk, profile, captured, known, headerRegisters: header };
  // Writes that reset the function (Initiate FLR, PMCSR D3hot -> D0) act on the model as on hardware.
  installResetHooks(fn);
  return fn;
}
