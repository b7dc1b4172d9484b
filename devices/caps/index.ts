/**
 * The capability registry: one line per capability file. The walker looks definitions up here.
 */
import type { CapabilityDef } from '../capability.js';
import { pm } from './pm.js';

export const STANDARD_CAPABILITIES: readonly CapabilityDef[] = [pm];

export const EXTENDED_CAPABILITIES: readonly CapabilityDef[] = [];

const byKey = new Map<string, CapabilityDef>();
for (const d of [...STANDARD_CAPABILITIES, ...EXTENDED_CAPABILITIES]) byKey.set(`${d.extended}:${d.id}`, d);

export function capabilityDef(id: number, extended: boolean): CapabilityDef | undefined {
  return byKey.get(`${extended}:${id}`);
}

export function capabilityByKey(key: string): CapabilityDef | undefined {
  return [...STANDARD_CAPABILITIES, ...EXTENDED_CAPABILITIES].find((d) => d.key === key);
}
