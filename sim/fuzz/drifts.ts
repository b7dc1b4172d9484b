/**
 * Generated drifts of kernel B, in sim/linux/drift.ts syntax: the edits an innocuous commit makes
 * to pci_save_pcie_state / pci_save_aer_state and their sizes (append a register, one the
 * function lacks or a named one; drop one; reorder two; widen an EXP slot to a dword or narrow an
 * ERR slot to a word), and to the save buffers themselves
 * (pci_allocate_cap_save_buffers stops adding one or adds two in the other order; pci_device_add
 * drops or reorders an allocation step, which drops or moves a saved capability), and kernel B
 * gaining a saved capability it lacks, with the code of the first profile that has it
 * (sim/linux/drift-gain.ts: caps:+L1SS as in v6.1, alloc:+l1ss as in v6.12, alloc:+acs as in
 * lu-pci). One drift per list at most (but a widened EXP slot may come with a dropped one, which
 * keeps the size), so no edit refers to an entry another edit removed. The drops and swaps name
 * only entries every profile has (L1SS moved between the lists across versions, TPH is v6.19+);
 * the gains are drawn per kernel B, among those it lacks. alloc:+tph is not drawn: Debian's
 * kernels have CONFIG_PCIE_TPH off (pci_tph_init is a stub) and the model never enables TPH
 * (tph_enabled), so it would change nothing.
 */
import fc from 'fast-check';
import { LINUX_LAYOUTS, type SavedSlot } from '../linux/layouts.js';
import { applyDrift, parseDrift } from '../linux/drift.js';
import { kernelProfile } from '../linux/profiles.js';
import { LinuxModelError } from '../linux/errors.js';

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

/** A drift of one data[] layout, of both, or of the buffer lists (every kernel takes it). */
export const driftArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: bufferDrift('pcie') },
  { weight: 2, arbitrary: bufferDrift('aer') },
  { weight: 1, arbitrary: fc.tuple(bufferDrift('pcie'), bufferDrift('aer')).map(([a, b]) => `${a};${b}`) },
  { weight: 1, arbitrary: listDrift('caps', ['EXP', 'PCIX', 'LTR', 'VC']) },
  { weight: 1, arbitrary: listDrift('alloc', ['caps', 'ptm', 'aer']) },
);

const GAINS = ['caps:+L1SS', 'alloc:+l1ss', 'alloc:+acs'] as const;

/** The gained-buffer drifts kernel `id` can take: the buffers it does not allocate. */
export function gainDrifts(id: string): string[] {
  return GAINS.filter((g) => {
    try {
      applyDrift(kernelProfile(id), parseDrift(g));
      return true;
    } catch (e) {
      if (e instanceof LinuxModelError) return false; // it already allocates that buffer
      throw e;
    }
  });
}

/**
 * A generated drift: one every kernel takes, or the index of a gain, resolved against kernel B
 * (driftFor) so that the case stays one flat record fast-check shrinks well (a chain on kernel B
 * would re-draw the drift whenever the device shrinks).
 */
export type DriftChoice = string | { readonly gain: number };

export const driftChoiceArb: fc.Arbitrary<DriftChoice> = fc.oneof(
  { weight: 8, arbitrary: driftArb },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: GAINS.length - 1 }).map((gain) => ({ gain })) },
);

const gainsOf = new Map<string, readonly string[]>();

/** The drift text of a choice for kernel B: a gain it cannot take (it has every buffer) is no drift. */
export function driftFor(choice: DriftChoice | undefined, kernelB: string): string | undefined {
  if (choice === undefined || typeof choice === 'string') return choice;
  let gains = gainsOf.get(kernelB);
  if (!gains) gainsOf.set(kernelB, (gains = gainDrifts(kernelB)));
  return gains.length ? gains[choice.gain % gains.length] : undefined;
}
