/**
 * Which config bits the old kernel saved, and where each value the new kernel's restore wrote
 * came from. Both follow from data: the header dwords pci_save_state copies, and each buffer's
 * data[] layout in each kernel's profile (sim/linux/layouts.ts). A slot of kernel B's buffer holds
 * whatever kernel A put at the same bytes of its data[]; if A's layout names another register
 * there, the restore corrupts.
 */
import { capabilityById } from '../../devices/capability-lookup.js';
import type { PciFunction } from '../../devices/device.js';
import type { WriteLogEntry } from '../write-log/entry.js';
import { bufferSlots, type CapReadl, type PlacedSlot } from '../linux/layouts.js';
import type { KernelProfile } from '../linux/profile.js';
import type { PciSavedDevState } from '../saved-state.js';
import type { ConfigWrite } from './classify.js';
import type { WriteOrigin } from './verdict.js';

/** Steps that write a register from a save buffer, keyed by the buffer's (extended, cap_nr). */
const BUFFER_STEPS: Readonly<Record<string, string>> = {
  pci_restore_pcie_state: 'false:16',
  pci_restore_pcix_state: 'false:7',
  pci_restore_aer_state: 'true:1',
  pci_restore_ltr_state: 'true:24',
  pci_restore_aspm_l1ss_state: 'true:30',
  aspm_program_l1ss: 'true:30',
  pci_restore_ptm_state: 'true:31',
  pci_restore_dpc_state: 'true:29',
  pci_restore_acs_state: 'true:13',
};

const BUFFER_NAMES: Readonly<Record<string, string>> = { 'false:16': 'EXP', 'false:7': 'PCIX', 'true:1': 'ERR', 'true:24': 'LTR', 'true:30': 'L1SS', 'true:31': 'PTM', 'true:29': 'DPC', 'true:2': 'VC', 'true:23': 'TPH', 'true:13': 'ACS' };

export function bufferName(capNr: number, extended: boolean): string {
  return BUFFER_NAMES[`${extended}:${capNr}`] ?? `${extended ? 'ext' : 'cap'} 0x${capNr.toString(16)}`;
}

const capOffset = (fn: PciFunction, capNr: number, extended: boolean): number | undefined => capabilityById(fn, capNr, extended)?.offset;

/** pcie_cap_has_rtctl: Root Port or RCEC (PCI_EXP_FLAGS_TYPE 4 or 10). */
/** A reader of the function's capability, for the buffers whose layout its registers decide (VC, TPH). */
export function capTable(fn: PciFunction, capNr: number, extended: boolean): CapReadl | undefined {
  const cap = capabilityById(fn, capNr, extended);
  return cap ? (rel) => fn.space.read(cap.offset + rel, 4) : undefined;
}

export function hasRtctl(fn: PciFunction): boolean {
  const pcie = capOffset(fn, 0x10, false);
  if (pcie === undefined) return false;
  const type = (fn.space.read(pcie + 2, 2) >> 4) & 0xf;
  return type === 4 || type === 10;
}

/** Per byte, the bits kernel A's pci_save_state captured: the 16 header dwords and every buffer slot. */
export function savedBits(fn: PciFunction, profile: KernelProfile, saved: PciSavedDevState): Uint8Array {
  const mask = new Uint8Array(fn.space.size);
  if (!saved.stateSaved) return mask;
  mask.fill(0xff, 0, 64);
  const rt = hasRtctl(fn);
  for (const buf of saved.savedCapSpace) {
    const cap = capabilityById(fn, buf.capNr, buf.extended);
    const slots = bufferSlots(profile.layouts, buf.capNr, buf.extended, rt, capTable(fn, buf.capNr, buf.extended));
    if (cap === undefined || !slots) continue;
    const base = cap.offset;
    for (const s of slots) {
      // A slot past the capability's end is a register this function lacks (a v1 PCIe capability
      // has no SLTCTL/RTCTL/DEVCTL2...: pcie_capability_read_word gives 0 and the write is
      // skipped); those bytes belong to the next capability, which the kernel did not save.
      if (s.offset < 0 || s.offset + s.width > cap.size) continue;
      for (let i = 0; i < s.width; i++) if (base + s.offset + i < mask.length) mask[base + s.offset + i] = 0xff;
    }
  }
  return mask;
}

export interface BufferFill {
  /** How B's buffer got its content: copied from A's blob by position, filled by register identity, or not at all. */
  readonly kind: 'positional' | 'by-register' | 'untouched';
}

/**
 * Attribute each config write of B's restore to its origin.
 * `fills` says, per B buffer ("ext:capNr"), how the load filled it (linux-blob copies data[] by
 * position; lusim-v1 fills slots by register identity; a buffer the load did not reach is stale).
 * `target` picks the function whose writes are attributed ('parent': the upstream port, whose
 * buffers kernel B always filled itself, so pass configCarried false).
 */
export function attributeRestoreWrites(
  fn: PciFunction,
  oldProfile: KernelProfile,
  newProfile: KernelProfile,
  log: readonly WriteLogEntry[],
  fills: ReadonlyMap<string, BufferFill>,
  configCarried: boolean,
  target: 'dev' | 'parent' = 'dev',
): ConfigWrite[] {
  const rt = hasRtctl(fn);
  // One literal per write, origin undefined when there is none: spreading a base write made every
  // write a V8 map of its own (1223 maps for 7880 writes of a fuzzed run), which turned every read
  // of a write in the classifier into a megamorphic load.
  return log.filter((w) => w.space === 'config' && w.device === target).map((w): ConfigWrite => ({ step: w.fn, offset: w.offset, width: w.width, origin: originOf(w) }));

  function originOf(w: WriteLogEntry): WriteOrigin | undefined {
    if (w.fn === 'pci_restore_config_space') return { kind: 'config-dword', dword: w.offset >> 2, source: configCarried ? 'carried' : 'own-save' };
    const key = BUFFER_STEPS[w.fn];
    if (!key) return undefined;
    const [ext, nr] = key.split(':');
    const extended = ext === 'true';
    const capNr = Number(nr);
    const cap = capOffset(fn, capNr, extended);
    const table = capTable(fn, capNr, extended);
    const slotsB = bufferSlots(newProfile.layouts, capNr, extended, rt, table);
    if (cap === undefined || !slotsB) return undefined;
    const slotB = slotsB.find((s) => s.offset >= 0 && cap + s.offset === w.offset);
    if (!slotB) return undefined;
    const fill = fills.get(`${extended}:${capNr}`)?.kind ?? 'untouched';
    if (!configCarried) return { kind: 'buffer', buffer: bufferName(capNr, extended), slotRegister: slotB.name, originRegister: slotB.name, stale: false, ownSave: true };
    return {
      kind: 'buffer',
      buffer: bufferName(capNr, extended),
      slotRegister: slotB.name,
      originRegister: fill === 'by-register' ? slotB.name : fill === 'positional' ? slotAt(bufferSlots(oldProfile.layouts, capNr, extended, rt, table), slotB)?.name : undefined,
      stale: fill === 'untouched',
    };
  }
}

function slotAt(slotsA: readonly PlacedSlot[] | undefined, slotB: PlacedSlot): PlacedSlot | undefined {
  return slotsA?.find((s) => s.dataOffset === slotB.dataOffset && s.width === slotB.width);
}
