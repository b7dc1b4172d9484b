/**
 * Layout-drift experiments: make kernel B's saved data[] layout differ from kernel A's the way an
 * innocuous commit would (a register appended, two swapped, one dropped, one widened or narrowed), to show what the
 * structural linux-blob does with it (pci_load_saved_state checks only IDs and sizes) and what a
 * self-describing format does instead.
 *
 * Syntax, one or more separated by ';':
 *   pcie:+reg            append a u16 slot for a register this function lacks (size 14 -> 16)
 *   pcie:+PCI_EXP_DEVSTA append a named register (offset from the PCIe capability table)
 *   pcie:swap(DEVCTL2,LNKCTL2)   swap two slots (same size: loads, silently lands in the wrong register)
 *   aer:-ROOT_COMMAND    drop a slot (Root Ports: 20 -> 16 bytes)
 *   pcie:widen(LNKCTL)   save a u16 slot as a dword, pcie_capability_read_dword (LNKCTL and LNKSTA:
 *                        14 -> 16 bytes, and every later slot moves up two bytes)
 *   aer:narrow(CAP)      save a u32 slot as a word, pci_read_config_word (its low half: 16 -> 14)
 *   caps:-LTR            pci_allocate_cap_save_buffers stops adding a buffer (EXP, PCIX, LTR, L1SS, VC)
 *   caps:+L1SS           it starts adding one, with the save/restore code of the first profile that
 *                        has it (drift-gain.ts: L1SS as in v6.1)
 *   caps:swap(EXP,LTR)   it adds two buffers in the other order (the blob's list order changes)
 *   alloc:-ptm           pci_device_add stops calling an allocation step (ptm, aer (with dpc), tph, l1ss, acs)
 *   alloc:+l1ss          it starts calling one, as the first profile that calls it (l1ss as in v6.12,
 *                        tph as in v6.19, acs as in lu-pci)
 *   alloc:swap(ptm,aer)  it calls two steps in the other order
 * Names may omit their PCI_EXP_ / PCI_ERR_ prefix.
 */
import { LinuxModelError } from './errors.js';
import type { SavedLayouts, SavedSlot } from './layouts.js';
import type { AllocStep, CapSaveBuffer, KernelProfile } from './profile.js';
import { gainEntry } from './drift-gain.js';
import * as regs from '../../devices/pci-regs.js';

export interface Drift {
  readonly text: string;
  /** A data[] layout (pcie, aer), pci_allocate_cap_save_buffers' buffer list (caps) or pci_device_add's allocation steps (alloc). */
  readonly buffer: 'pcie' | 'aer' | 'caps' | 'alloc';
  readonly op: { kind: 'add'; name: string } | { kind: 'swap'; a: string; b: string } | { kind: 'remove'; name: string } | { kind: 'widen'; name: string } | { kind: 'narrow'; name: string };
}

const PREFIX = { pcie: 'PCI_EXP_', aer: 'PCI_ERR_', caps: '', alloc: '' } as const;
const RE = /^(pcie|aer|caps|alloc):(?:\+(\w+)|-(\w+)|swap\((\w+),\s*(\w+)\)|(widen|narrow)\((\w+)\))$/;

/** Short names of pci_device_add's allocation steps (probe.c pci_init_capabilities). */
export const ALLOC_STEP_NAMES: Readonly<Record<string, AllocStep>> = {
  l1ss: 'pci_configure_aspm_l1ss', caps: 'pci_allocate_cap_save_buffers', ptm: 'pci_ptm_init', acs: 'pci_acs_init', aer: 'pci_aer_init', tph: 'pci_tph_init',
};

export function parseDrift(text: string): Drift[] {
  const items = text.split(';').map((t) => t.trim()).filter(Boolean);
  // "" is no drift (callers pass an unset option as ""); separators alone are a mistyped one.
  if (!items.length && text.trim()) throw new LinuxModelError('bad-drift', `drift "${text}" names no change: give one such as pcie:swap(DEVCTL2,LNKCTL2), or none`, { drift: text });
  return items.map((t) => {
    const m = RE.exec(t);
    if (!m) {
      throw new LinuxModelError('bad-drift', `drift "${t}" not understood: use pcie:+reg, pcie:+NAME, pcie:swap(A,B), aer:-NAME, pcie:widen(NAME), aer:narrow(NAME), caps:-LTR, caps:+L1SS, caps:swap(EXP,LTR), alloc:-ptm, alloc:+l1ss, alloc:swap(ptm,aer)`, { drift: t });
    }
    const buffer = m[1] as Drift['buffer'];
    if (m[6]) {
      // An EXP slot is a word and can only grow to a dword; an ERR slot is a dword and can only shrink to a word.
      const allowed = buffer === 'pcie' ? 'widen' : buffer === 'aer' ? 'narrow' : undefined;
      if (m[6] !== allowed) throw new LinuxModelError('bad-drift', `drift "${t}": ${allowed ? `${buffer} slots can only be ${allowed === 'widen' ? 'widened (u16 -> u32)' : 'narrowed (u32 -> u16)'}: use ${buffer}:${allowed}(NAME)` : `${buffer} is a list of buffers, not of registers: use pcie:widen(NAME) or aer:narrow(NAME)`}`, { drift: t });
    }
    const full = (n: string) => (n === 'reg' || n.startsWith(PREFIX[buffer]) ? n : `${PREFIX[buffer]}${n}`);
    if (m[2]) return { text: t, buffer, op: { kind: 'add', name: full(m[2]) } };
    if (m[3]) return { text: t, buffer, op: { kind: 'remove', name: full(m[3]) } };
    if (m[6]) return { text: t, buffer, op: m[6] === 'widen' ? { kind: 'widen', name: full(m[7]) } : { kind: 'narrow', name: full(m[7]) } };
    const [a, b] = [full(m[4]!), full(m[5]!)];
    if (entryName(buffer, a) === entryName(buffer, b)) throw new LinuxModelError('bad-drift', `drift "${t}" swaps ${m[4]} with itself, which changes nothing: name two different entries`, { drift: t });
    return { text: t, buffer, op: { kind: 'swap', a, b } };
  });
}

/** A name as its list holds it, as applyOne and editList look it up (layout slots come prefixed from parseDrift). */
function entryName(buffer: Drift['buffer'], name: string): string {
  return buffer === 'caps' ? resolveCap(name) : buffer === 'alloc' ? resolveAlloc(name) : name;
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
  const listOf = (name: string) => {
    const l = find(name);
    if (!l) throw new LinuxModelError('bad-drift', `${d.text}: ${name} is not in the ${d.buffer} layout (${lists.flatMap((x) => layouts[x].map((s) => s.name)).join(', ')})`, { drift: d.text });
    return l;
  };
  if (op.kind === 'remove') {
    const l = listOf(op.name);
    return { ...layouts, [l]: layouts[l].filter((s) => s.name !== op.name) };
  }
  if (op.kind === 'widen' || op.kind === 'narrow') {
    const l = listOf(op.name);
    const width = op.kind === 'widen' ? 4 : 2;
    return { ...layouts, [l]: layouts[l].map((s) => (s.name === op.name ? { ...s, width } : s)) };
  }
  const la = listOf(op.a);
  const lb = listOf(op.b);
  if (la !== lb) throw new LinuxModelError('bad-drift', `${d.text}: both registers must be in the same ${d.buffer} layout`, { drift: d.text });
  const list = [...layouts[la]];
  const ia = list.findIndex((s) => s.name === op.a);
  const ib = list.findIndex((s) => s.name === op.b);
  [list[ia], list[ib]] = [list[ib], list[ia]];
  return { ...layouts, [la]: list };
}

/** Drop or swap entries of a list of names (the buffer list, the allocation steps). */
function editList<T extends string>(list: readonly T[], d: Drift, resolve: (n: string) => string): T[] {
  const op = d.op;
  const known = `(${list.join(', ')})`;
  const at = (n: string) => {
    const i = list.indexOf(resolve(n) as T);
    if (i < 0) throw new LinuxModelError('bad-drift', `${d.text}: ${n} is not in this kernel's ${d.buffer} list ${known}`, { drift: d.text });
    return i;
  };
  if (op.kind === 'remove') return list.filter((_, i) => i !== at(op.name));
  if (op.kind !== 'swap') return [...list];
  const out = [...list];
  const [ia, ib] = [at(op.a), at(op.b)];
  [out[ia], out[ib]] = [out[ib], out[ia]];
  return out;
}

const resolveCap = (n: string) => n.toUpperCase();
const resolveAlloc = (n: string) => ALLOC_STEP_NAMES[n] ?? n;

/** The entries an item names, as `buffer:name` in the spelling its list uses (an added one is named too). */
function entryKeys(d: Drift): string[] {
  const names = d.op.kind === 'swap' ? [d.op.a, d.op.b] : [d.op.name];
  return names.map((n) => `${d.buffer}:${entryName(d.buffer, n)}`);
}

/**
 * Kernel B with its layouts, buffer list or allocation steps drifted; the description says so in
 * reports, and names the kernel whose code a gained buffer borrows.
 */
export function applyDrift(profile: KernelProfile, drifts: readonly Drift[]): KernelProfile {
  if (drifts.length === 0) return profile;
  let out = profile;
  const shown: string[] = [];
  // Which item removed an entry: a later item naming it would otherwise read as naming one the kernel never had.
  const removedBy = new Map<string, string>();
  for (const d of drifts) {
    shown.push(d.text);
    // An add may name a removed entry: removing and appending it again moves it to the end.
    for (const key of d.op.kind === 'add' ? [] : entryKeys(d)) {
      const by = removedBy.get(key);
      if (by !== undefined) throw new LinuxModelError('bad-drift', `${d.text}: ${key.slice(key.indexOf(':') + 1)} was removed by an earlier item of this drift (${by})`, { drift: d.text });
    }
    if (d.op.kind === 'remove') removedBy.set(entryKeys(d)[0]!, d.text);
    if (d.op.kind === 'add') removedBy.delete(entryKeys(d)[0]!);
    if ((d.buffer === 'caps' || d.buffer === 'alloc') && d.op.kind === 'add') {
      const gained = gainEntry(out, d.buffer, (d.buffer === 'caps' ? resolveCap : resolveAlloc)(d.op.name), d.text);
      out = gained.profile;
      shown[shown.length - 1] += ` (${gained.borrowed})`;
    } else if (d.buffer === 'caps') out = { ...out, capSaveBuffers: editList<CapSaveBuffer>(out.capSaveBuffers, d, resolveCap) };
    else if (d.buffer === 'alloc') out = { ...out, allocOrder: editList<AllocStep>(out.allocOrder, d, resolveAlloc) };
    else out = { ...out, layouts: applyOne(out.layouts, d) };
  }
  return { ...out, description: `${profile.description}, drifted: ${shown.join('; ')}` };
}
