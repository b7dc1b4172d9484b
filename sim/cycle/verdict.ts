/**
 * The classification of every field after a save -> kexec -> restore cycle (issue 4, step 5).
 *   restored   changed on the way (kexec, reset) and back to its value after the restore
 *   expected   changed, and that is correct: RW1C status, volatile hardware state, or regenerated
 *              by the kernel from its own state (MSI/MSI-X descriptors, ACS policy, REBAR sizes)
 *   lost       changed, and the old kernel never saved it (or the new kernel never wrote it back)
 *   corrupted  the new kernel wrote a value the old kernel saved for a *different* register
 *   stale      the new kernel restored a buffer the old kernel never wrote (kzalloc'd or left over)
 *   refused    the new kernel refused the saved state (pci_load_saved_state -EINVAL) and the
 *              field is not back
 *   unchanged  never changed (omitted from reports unless asked; a rewrite from another
 *              register's slot that happens to carry the same value is noted as latent)
 *   unknown    the dump never captured the field's bytes (a partial dump): nothing about it is
 *              computed from the padding the model holds there
 */
export type Verdict = 'restored' | 'expected' | 'lost' | 'corrupted' | 'stale' | 'refused' | 'unchanged' | 'unknown';

export const VERDICTS: readonly Verdict[] = ['restored', 'expected', 'lost', 'corrupted', 'stale', 'refused', 'unchanged', 'unknown'];

/** Where a restore write's value came from, so a wrong value can be explained. */
export type WriteOrigin =
  /** From saved_config_space: carried from kernel A, or kernel B's own pci_save_state. */
  | { readonly kind: 'config-dword'; readonly dword: number; readonly source: 'carried' | 'own-save' }
  | {
      readonly kind: 'buffer';
      /** The save buffer (EXP, ERR, LTR, L1SS, PTM, DPC, PCIX, VC, TPH). */
      readonly buffer: string;
      /** The register the new kernel's layout says this slot holds. */
      readonly slotRegister: string;
      /** The register the old kernel's layout put in these bytes; undefined when A never wrote them. */
      readonly originRegister: string | undefined;
      /** True when the slot's bytes were never written by the old kernel (missing from the blob). */
      readonly stale: boolean;
      /** The buffer holds kernel B's own pci_save_state, not a state carried from kernel A. */
      readonly ownSave?: boolean;
    }
  | { readonly kind: 'regenerated'; readonly from: string };

/** Which modelled function a field belongs to: the device under test or its upstream port (dev->bus->self). */
export type CycleFunction = 'dev' | 'parent';

export interface FieldOutcome {
  readonly function: CycleFunction;
  /** 'header' or the capability key (pcie, aer, msix, ...). */
  readonly location: string;
  readonly register: string;
  readonly field: string;
  /** Absolute offset of the register. */
  readonly offset: number;
  readonly bits: string;
  /** Field value in the operational state before the old kernel saved. */
  readonly before: number;
  /** Field value after the kexec (shutdown, enumeration, optional reset), before restore. */
  readonly mid: number;
  /** Field value after the new kernel's restore. */
  readonly after: number;
  readonly verdict: Verdict;
  /** The rule or kernel function that explains the verdict. */
  readonly rule: string;
  /** Kernel functions that wrote this register during the kexec and the restore, in order. */
  readonly writers: readonly string[];
}
