/**
 * The "add a saved capability" drift (`caps:+NAME`, `alloc:+NAME`): kernel B starts saving a buffer
 * kernel A did not, the way an innocuous commit would, with save/restore code the model already has
 * for another kernel version. B takes everything that buffer needs from the FIRST profile in
 * KERNEL_PROFILES that allocates it (the donor), and only what B lacks:
 *
 *   - the allocation: the entry in pci_allocate_cap_save_buffers' list (caps) or pci_device_add's
 *     call (alloc), placed after the donor's nearest preceding entry that B has;
 *   - the save and restore steps that read and write that buffer (pci_save_state /
 *     pci_save_pcie_state, pci_restore_state / pci_restore_pcie_state), placed the same way;
 *   - for L1SS, the donor's pcie/aspm.c semantics when B has none (6.1.y after the revert).
 *
 * What each name borrows (KERNEL_PROFILES order: 6.1, 6.1.y, 6.12, ..., lu-pci):
 *   caps:+L1SS   v6.1: pci_allocate_cap_save_buffers adds L1SS after LTR (4ff116d0d5fd),
 *                pci_save_state / pci_restore_state call pci_save/restore_aspm_l1ss_state after
 *                the LTR steps, dev->l1ss from pci_configure_ltr, own registers only ('own'). On
 *                6.1.y this undoes the revert a7152be79b62: B becomes v6.1.
 *   alloc:+l1ss  v6.12: pcie/aspm.c pci_configure_aspm_l1ss allocates it before
 *                pci_init_capabilities; pci_save_pcie_state / pci_restore_pcie_state call the
 *                L1SS steps; the link is restored from the downstream component ('link').
 *   alloc:+tph   v6.19: tph.c pci_tph_init, pci_save/restore_tph_state after PTM (a stub without
 *                CONFIG_PCIE_TPH, which Debian's kernels have off).
 *   alloc:+acs   lu-pci: pci_acs_init's ACS_CTRL buffer, pci_save_acs_state before VC and
 *                pci_restore_acs_state in place of pci_enable_acs (size and call site inferred,
 *                profile.ts LU_PCI_BASE).
 *   The others (caps:+EXP/PCIX/LTR/VC, alloc:+caps/ptm/aer) every profile has: B gains them back
 *   only after dropping them in the same drift (v6.1's code, the first profile).
 *
 * A name no profile allocates is refused, and so is a buffer B already allocates (wherever it
 * does: L1SS from pci_configure_aspm_l1ss in v6.12+ is the same buffer as v6.1's), since a second
 * _pci_add_cap_save_buffer of one capability is not a commit anyone would write.
 */
import { LinuxModelError } from './errors.js';
import { KERNEL_PROFILES, type AllocStep, type CapSaveBuffer, type KernelProfile, type RestoreStep, type SaveStep } from './profile.js';

/** The buffer each allocation step adds (pci_allocate_cap_save_buffers adds the profile's list). */
const ALLOC_BUFFER: Readonly<Record<Exclude<AllocStep, 'pci_allocate_cap_save_buffers'>, string>> = {
  pci_configure_aspm_l1ss: 'L1SS', pci_ptm_init: 'PTM', pci_acs_init: 'ACS', pci_aer_init: 'ERR', pci_tph_init: 'TPH',
};

/** The steps that read or write each buffer (save.ts, restore.ts, aer.ts, vc.ts). */
const BUFFER_STEPS: Readonly<Record<string, { readonly save: readonly SaveStep[]; readonly restore: readonly RestoreStep[] }>> = {
  EXP: { save: ['pci_save_pcie_state'], restore: ['pci_restore_pcie_state'] },
  PCIX: { save: ['pci_save_pcix_state'], restore: ['pci_restore_pcix_state'] },
  LTR: { save: ['pci_save_ltr_state'], restore: ['pci_restore_ltr_state'] },
  L1SS: { save: ['pci_save_aspm_l1ss_state'], restore: ['pci_restore_aspm_l1ss_state'] },
  VC: { save: ['pci_save_vc_state'], restore: ['pci_restore_vc_state'] },
  PTM: { save: ['pci_save_ptm_state'], restore: ['pci_restore_ptm_state'] },
  ERR: { save: ['pci_save_aer_state'], restore: ['pci_aer_clear_status', 'pci_restore_aer_state'] },
  TPH: { save: ['pci_save_tph_state'], restore: ['pci_restore_tph_state'] },
  ACS: { save: ['pci_save_acs_state'], restore: ['pci_restore_acs_state'] },
};

/** lu-pci's pci_restore_acs_state writes the saved value where pci_enable_acs recomputed it from policy. */
const REPLACES: Partial<Record<RestoreStep, RestoreStep>> = { pci_restore_acs_state: 'pci_enable_acs' };

/** Buffers a profile allocates, by name (EXP, LTR, L1SS, ERR, ...). */
export function allocatedBuffers(p: KernelProfile): Set<string> {
  const out = new Set<string>();
  for (const step of p.allocOrder) {
    if (step === 'pci_allocate_cap_save_buffers') p.capSaveBuffers.forEach((b) => out.add(b));
    else out.add(ALLOC_BUFFER[step]);
  }
  return out;
}

/** Insert `item` into `list` after the nearest entry preceding it in `donor` that `list` has (else first). */
function insertAsIn<T>(list: readonly T[], donor: readonly T[], item: T): T[] {
  const before = donor.slice(0, donor.indexOf(item)).reverse().find((x) => list.includes(x));
  const at = before === undefined ? 0 : list.indexOf(before) + 1;
  return [...list.slice(0, at), item, ...list.slice(at)];
}

type StepLists = Pick<KernelProfile, 'saveOrder' | 'pcieSaveInner' | 'restoreOrder' | 'pcieRestoreInner'>;

/** B gains `step` where the donor calls it (top level or inside pci_save/restore_pcie_state), unless B already calls it. */
function gainStep(out: StepLists, donor: KernelProfile, step: SaveStep | RestoreStep, lists: readonly (keyof StepLists)[]): StepLists {
  if (lists.some((l) => (out[l] as readonly string[]).includes(step))) return out;
  const l = lists.find((x) => (donor[x] as readonly string[]).includes(step));
  if (!l) return out;
  const replaced = REPLACES[step as RestoreStep];
  const list = out[l] as readonly string[];
  if (replaced && list.includes(replaced)) return { ...out, [l]: list.map((s) => (s === replaced ? step : s)) };
  return { ...out, [l]: insertAsIn(list, donor[l] as readonly string[], step) };
}

export interface Gain {
  readonly profile: KernelProfile;
  /** Which kernel's code was borrowed, for the profile's description. */
  readonly borrowed: string;
}

/** Kernel B gains the caps buffer or allocation step `entry` as the first profile that has it does. */
export function gainEntry(profile: KernelProfile, list: 'caps' | 'alloc', entry: string, text: string): Gain {
  const has = (p: KernelProfile) => (list === 'caps' ? (p.capSaveBuffers as readonly string[]) : (p.allocOrder as readonly string[])).includes(entry);
  const donor = KERNEL_PROFILES.find(has);
  if (!donor) {
    const known = [...new Set(KERNEL_PROFILES.flatMap((p) => (list === 'caps' ? p.capSaveBuffers : p.allocOrder) as readonly string[]))];
    throw new LinuxModelError('bad-drift', `${text}: no kernel profile has ${entry} in its ${list} list, so there is no save/restore code to borrow (known: ${known.join(', ')})`, { drift: text });
  }
  const buffers = list === 'caps' ? [entry] : entry === 'pci_allocate_cap_save_buffers' ? [...donor.capSaveBuffers] : [ALLOC_BUFFER[entry as keyof typeof ALLOC_BUFFER]];
  const already = allocatedBuffers(profile);
  const dup = buffers.find((b) => already.has(b));
  if (dup) throw new LinuxModelError('bad-drift', `${text}: kernel ${profile.id} already allocates the ${dup} save buffer; a gained buffer must be one it lacks`, { drift: text });
  let out: KernelProfile = list === 'caps'
    ? { ...profile, capSaveBuffers: insertAsIn(profile.capSaveBuffers, donor.capSaveBuffers, entry as CapSaveBuffer) }
    : { ...profile, allocOrder: insertAsIn(profile.allocOrder, donor.allocOrder, entry as AllocStep) };
  let steps: StepLists = out;
  for (const b of buffers) {
    for (const s of BUFFER_STEPS[b].save) steps = gainStep(steps, donor, s, ['saveOrder', 'pcieSaveInner']);
    for (const s of BUFFER_STEPS[b].restore) steps = gainStep(steps, donor, s, ['restoreOrder', 'pcieRestoreInner']);
  }
  out = { ...out, ...steps };
  if (buffers.includes('L1SS') && out.l1ss === 'none') out = { ...out, l1ss: donor.l1ss };
  return { profile: out, borrowed: `${entry} as in ${donor.id}` };
}
