/**
 * A full pci_reset_function as kernel `id` runs it on a modelled function (linux-pci.md 6.3), as a
 * field-by-field report: sim/cycle/reset-path.ts pciTryResetFunction does the work
 * (pci_dev_save_and_disable: D0, pci_save_state, COMMAND = INTX_DISABLE; the first usable method
 * of the kernel's reset_methods[], applied by devices/reset/apply.ts; pci_dev_restore ->
 * pci_restore_state), after the kernel's view of the device is set up as enumeration does it
 * (pci_setup_device, the save buffers of pci_device_add). Each field's rule says which part
 * decided its final value.
 */
import type { PciFunction } from '../../devices/device.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import type { ResetPersonality } from '../../devices/profile.js';
import { fieldValue } from '../../devices/registers.js';
import type { ResetReport } from '../../devices/reset/apply.js';
import { readLE } from '../../devices/bytes.js';
import { modelUnderTest } from '../cycle/model-access.js';
import { pciTryResetFunction } from '../cycle/reset-path.js';
import { allocateSaveBuffers } from '../linux/alloc.js';
import { newPciDev } from '../linux/dev.js';
import { pciSetupDevice } from '../linux/find-cap.js';
import { kernelProfile } from '../linux/profiles.js';
import type { WriteLogEntry } from '../write-log/entry.js';
import type { ResetMethodName } from './kernels.js';

export interface FullResetField {
  readonly register: string;
  readonly field: string;
  readonly offset: number;
  readonly width: number;
  /** Before pci_reset_function, after the reset (before restore), and at the end. */
  readonly before: number;
  readonly afterReset: number;
  readonly after: number;
  readonly changed: boolean;
  readonly rule: string;
}

export interface FullResetReport {
  readonly bdf: string;
  readonly kernel: string;
  /** The method __pci_reset_function_locked used; null: -ENOTTY, nothing happened. */
  readonly method: ResetMethodName | null;
  readonly personality: ResetPersonality;
  readonly notes: readonly string[];
  readonly fields: readonly FullResetField[];
}

const SAVE_AND_DISABLE = 'pci_dev_save_and_disable';

/** The innermost kernel function of the restore phase that wrote any byte of [offset, offset+width). */
function restoredBy(restoreLog: readonly WriteLogEntry[], offset: number, width: number): string | undefined {
  const hit = [...restoreLog].reverse().find((w) => w.space === 'config' && w.device === 'dev' && w.offset < offset + width && offset < w.offset + w.width);
  return hit?.fn;
}

export async function fullResetFunction(fn: PciFunction, id: string): Promise<FullResetReport> {
  const profile = kernelProfile(id);
  const dev = newPciDev(modelUnderTest(fn).access, { name: 'dev' });
  await pciSetupDevice(dev);
  await allocateSaveBuffers(profile, dev);
  const notes: string[] = [];
  const enumerated = dev.log.writes.length;
  if (enumerated > 0) notes.push(`enumeration (pci_device_add) wrote ${enumerated} register(s) first: "before" is the state after it`);
  const before = fn.space.snapshot();
  const run = await pciTryResetFunction(profile, dev, fn);
  notes.push(...run.notes);
  const reset: ResetReport | undefined = run.report;
  if (reset) notes.push(...reset.notes);
  const after = fn.space.snapshot();
  const lastDisable = run.log.map((w) => w.fn).lastIndexOf(SAVE_AND_DISABLE);
  const restoreLog = run.log.slice(lastDisable + 1);
  const regs = [...fn.space.layout.registers].sort((a, b) => a.offset - b.offset);
  const fields: FullResetField[] = [];
  for (const reg of regs) {
    for (const fd of reg.fields) {
      const b = fieldValue(fd, readLE(before, reg.offset, reg.width));
      const disabled = reset ? fieldValue(fd, readLE(reset.before, reg.offset, reg.width)) : b;
      const r = reset ? fieldValue(fd, readLE(reset.after, reg.offset, reg.width)) : b;
      const a = fieldValue(fd, readLE(after, reg.offset, reg.width));
      const resetRule = reset?.fields.find((o) => o.offset === reg.offset && o.field === fd.name)?.rule;
      const writer = restoredBy(restoreLog, reg.offset, reg.width);
      let rule: string;
      if (!run.method) rule = 'pci_reset_function: -ENOTTY, nothing reset or restored';
      else if (a !== r) rule = `restored by ${writer ?? 'pci_restore_state'} (pci_dev_restore) after ${r !== disabled ? `the ${run.method} reset` : SAVE_AND_DISABLE} changed it`;
      else if (r !== disabled) {
        const why = resetRule ?? 'the reset';
        rule = writer ? `reset by ${run.method} (${why}); ${writer} wrote the same value back`
          : a === b ? `reset by ${run.method} (${why}), back to its value before pci_reset_function: pci_restore_state had nothing to write`
          : `reset by ${run.method}, not restored: ${why}`;
      }
      else if (disabled !== b) rule = `${SAVE_AND_DISABLE} changed it (D0, COMMAND = INTX_DISABLE)${writer ? `; ${writer} wrote it back unchanged` : ''}`;
      else if (writer) rule = `survived the ${run.method} reset (${resetRule ?? 'untouched'}); ${writer} wrote it back unchanged`;
      else rule = `survived the ${run.method} reset: ${resetRule ?? 'untouched'}`;
      fields.push({ register: reg.name, field: fd.name, offset: reg.offset, width: reg.width, before: b, afterReset: r, after: a, changed: a !== b, rule });
    }
  }
  return { bdf: formatBdf(fn.bdf), kernel: profile.id, method: run.method, personality: reset?.personality ?? fn.profile.personality, notes, fields };
}
