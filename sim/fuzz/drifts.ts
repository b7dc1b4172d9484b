/**
 * Generated drifts of kernel B, in sim/linux/drift.ts syntax: the edits an innocuous commit makes
 * to pci_save_pcie_state / pci_save_aer_state and their sizes (append a register, one the
 * function lacks or a named one; drop one; reorder two; widen an EXP slot to a dword or narrow an
 * ERR slot to a word), and to the save buffers themselves
 * (pci_allocate_cap_save_buffers stops adding one or adds two in the other order; pci_device_add
 * drops or reorders an allocation step, which drops or moves a saved capability). One drift per
 * list at most (but a widened EXP slot may come with a dropped one, which keeps the size), so
 * no edit refers to an entry another edit removed. Only entries every profile has are named (L1SS
 * moved between the lists across versions, TPH is v6.19+).
 */
import fc from 'fast-check';
import { LINUX_LAYOUTS, type SavedSlot } from '../linux/layouts.js';

const short = (s: SavedSlot, prefix: string) => s.name.slice(prefix.length);

/** Registers a kernel could start saving: status registers next to the saved controls. */
const ADDABLE = { pcie: ['reg', 'DEVSTA', 'LNKSTA', 'SLTSTA', 'DEVSTA2'], aer: ['reg', 'UNCOR_STATUS', 'COR_STATUS', 'ROOT_STATUS'] } as const;

function bufferDrift(buffer: 'pcie' | 'aer'): fc.Arbitrary<string> {
  const prefix = buffer === 'pcie' ? 'PCI_EXP_' : 'PCI_ERR_';
  const slots = (buffer === 'pcie' ? LINUX_LAYOUTS.exp : [...LINUX_LAYOUTS.aer, ...LINUX_LAYOUTS.aerRoot]).map((s) => short(s, prefix));
  // Swaps stay within one list: AER's root-only tail (ROOT_COMMAND) is a list of its own.
  const swappable = buffer === 'pcie' ? slots : LINUX_LAYOUTS.aer.map((s) => short(s, prefix));
  const pairs = swappable.flatMap((a, i) => swappable.slice(i + 1).map((b) => [a, b] as const));
  return fc.oneof(
    fc.constantFrom(...pairs).map(([a, b]) => `${buffer}:swap(${a},${b})`),
    fc.constantFrom(...ADDABLE[buffer]).map((n) => `${buffer}:+${n}`),
    fc.constantFrom(...slots).map((n) => `${buffer}:-${n}`),
    fc.constantFrom(...slots).map((n) => `${buffer}:${buffer === 'pcie' ? 'widen' : 'narrow'}(${n})`),
    // A widened EXP slot and a dropped one keep the buffer's size, so the blob loads, shifted.
    ...(buffer === 'pcie' ? [fc.constantFrom(...pairs).map(([a, b]) => `pcie:widen(${a});pcie:-${b}`)] : []),
  );
}

function listDrift(list: 'caps' | 'alloc', names: readonly string[]): fc.Arbitrary<string> {
  const pairs = names.flatMap((a, i) => names.slice(i + 1).map((b) => [a, b] as const));
  return fc.oneof(fc.constantFrom(...names).map((n) => `${list}:-${n}`), fc.constantFrom(...pairs).map(([a, b]) => `${list}:swap(${a},${b})`));
}

/** A drift of one data[] layout, of both, or of the buffer lists. */
export const driftArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: bufferDrift('pcie') },
  { weight: 2, arbitrary: bufferDrift('aer') },
  { weight: 1, arbitrary: fc.tuple(bufferDrift('pcie'), bufferDrift('aer')).map(([a, b]) => `${a};${b}`) },
  { weight: 1, arbitrary: listDrift('caps', ['EXP', 'PCIX', 'LTR', 'VC']) },
  { weight: 1, arbitrary: listDrift('alloc', ['caps', 'ptm', 'aer']) },
);
