/**
 * Layout-drift experiments: make kernel B's saved data[] layout differ from kernel A's the way an
 * innocuous commit would (a register appended, two swapped, one dropped), to show what the
 * structural linux-blob does with it (pci_load_saved_state checks only IDs and sizes) and what a
 * self-describing format does instead.
 *
 * Syntax, one or more separated by ';':
 *   pcie:+reg            append a u16 slot for a register this function lacks (size 14 -> 16)
 *   pcie:+PCI_EXP_DEVSTA append a named register (offset from the PCIe capability table)
 *   pcie:swap(DEVCTL2,LNKCTL2)   swap two slots (same size: loads, silently lands in the wrong register)
 *   aer:-ROOT_COMMAND    drop a slot (Root Ports: 20 -> 16 bytes)
 * Names may omit their PCI_EXP_ / PCI_ERR_ prefix.
 */
import { LinuxModelError } from './errors.js';
import type { SavedLayouts, SavedSlot } from './layouts.js';
import type { KernelProfile } from './profile.js';
import * as regs from '../../devices/pci-regs.js';

export interface Drift {
  readonly text: string;
  readonly buffer: 'pcie' | 'aer';
  readonly op: { kind: 'add'; name: string } | { kind: 'swap'; a: string; b: string } | { kind: 'remove'; name: string };
}

const PREFIX = { pcie: 'PCI_EXP_', aer: 'PCI_ERR_' } as const;
const RE = /^(pcie|aer):(?:\+(\w+)|-(\w+)|swap\((\w+),\s*(\w+)\))$/;

export function parseDrift(text: string): Drift[] {
  return text.split(';').map((t) => t.trim()).filter(Boolean).map((t) => {
    const m = RE.exec(t);
    if (!m) {
      throw new LinuxModelError('bad-drift', `drift "${t}" not understood: use pcie:+reg, pcie:+NAME, pcie:swap(A,B), aer:-NAME (buffers: pcie, aer)`, { drift: t });
    }
    const buffer = m[1] as 'pcie' | 'aer';
    const full = (n: string) => (n === 'reg' || n.startsWith(PREFIX[buffer]) ? n : `${PREFIX[buffer]}${n}`);
    if (m[2]) return { text: t, buffer, op: { kind: 'add', name: full(m[2]) } };
    if (m[3]) return { text: t, buffer, op: { kind: 'remove', name: full(m[3]) } };
    return { text: t, buffer, op: { kind: 'swap', a: full(m[4]), b: full(m[5]) } };
  });
}

function regOffset(name: string): number {
  const v = (regs as Record<string, unknown>)[name];
  if (typeof v !== 'number') throw new LinuxModelError('bad-drift', `unknown register ${name} (pci_regs.h name expected)`, { name });
  return v;
}

function applyOne(layouts: SavedLayouts, d: Drift): SavedLayouts {
  const key = d.buffer === 'pcie' ? 'exp' : 'aer';
  // AER ROOT_COMMAND lives in the root-only tail; edit whichever list holds the named slot.
  const lists: (keyof SavedLayouts)[] = d.buffer === 'pcie' ? ['exp'] : ['aer', 'aerRoot'];
  const find = (name: string) => lists.find((l) => layouts[l].some((s) => s.name === name));
  const op = d.op;
  if (op.kind === 'add') {
    const slot: SavedSlot = op.name === 'reg' ? { name: `${PREFIX[d.buffer]}DRIFT_NEW`, offset: -1 } : { name: op.name, offset: regOffset(op.name) };
    return { ...layouts, [key]: [...layouts[key], slot] };
  }
  if (op.kind === 'remove') {
    const l = find(op.name);
    if (!l) throw new LinuxModelError('bad-drift', `${d.text}: ${op.name} is not in the ${d.buffer} layout (${lists.flatMap((x) => layouts[x].map((s) => s.name)).join(', ')})`, { drift: d.text });
    return { ...layouts, [l]: layouts[l].filter((s) => s.name !== op.name) };
  }
  const la = find(op.a);
  const lb = find(op.b);
  if (!la || !lb || la !== lb) throw new LinuxModelError('bad-drift', `${d.text}: both registers must be in the same ${d.buffer} layout`, { drift: d.text });
  const list = [...layouts[la]];
  const ia = list.findIndex((s) => s.name === op.a);
  const ib = list.findIndex((s) => s.name === op.b);
  [list[ia], list[ib]] = [list[ib], list[ia]];
  return { ...layouts, [la]: list };
}

/** Kernel B with its layouts drifted; the id says so in reports. */
export function applyDrift(profile: KernelProfile, drifts: readonly Drift[]): KernelProfile {
  if (drifts.length === 0) return profile;
  const layouts = drifts.reduce(applyOne, profile.layouts);
  return { ...profile, layouts, description: `${profile.description}, drifted: ${drifts.map((d) => d.text).join('; ')}` };
}
