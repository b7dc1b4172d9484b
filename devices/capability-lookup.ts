/**
 * Finding a modelled function's capabilities (as the walker placed them; overlapping ones are
 * skipped, as they contribute no registers). Every layer asks these questions of a PciFunction.
 */
import type { PciFunction } from './device.js';
import type { PlacedCapability } from './walker.js';

/** The first capability with this ID (pci_find_capability / pci_find_ext_capability semantics). */
export function capabilityById(fn: PciFunction, id: number, extended: boolean): PlacedCapability | undefined {
  return fn.walk.capabilities.find((c) => c.id === id && c.extended === extended && !c.overlaps);
}

/** The capability (standard or extended) whose bytes include `offset`. */
export function capabilityAt(fn: PciFunction, offset: number): PlacedCapability | undefined {
  return fn.walk.capabilities.find((c) => !c.overlaps && offset >= c.offset && offset < c.offset + c.size);
}

/** Where a register lives, for reports: 'header' for the first 64 bytes, else its capability's key. */
export function registerLocation(fn: PciFunction, offset: number): string {
  return offset < 0x40 ? 'header' : capabilityAt(fn, offset)?.key ?? 'header';
}
