/**
 * One named write as a step: `stepWrite(t, 'pci_msi_set_enable', ...)` is the write the kernel
 * function makes, with the reason, recorded by the traced access like every other write.
 */
import { readWidth, writeWidth, type Width } from '../../devices/access.js';
import type { TracedFunction } from './write-log.js';

export const stepRead = (t: TracedFunction, offset: number, width: Width): Promise<number> => readWidth(t.access.config, offset, width);

export function stepWrite(t: TracedFunction, step: string, offset: number, width: Width, value: number, why: string): Promise<void> {
  return t.log.run(step, () => writeWidth(t.access.config, offset, width, value), why);
}

/** Write back what a register holds, as the kernel clears RW1C status bits (whatever it read, zero included). */
export async function stepWriteBack(t: TracedFunction, step: string, offset: number, width: Width, why: string): Promise<void> {
  await stepWrite(t, step, offset, width, await stepRead(t, offset, width), why);
}

/** Read-modify-write of a config register (pcie_capability_clear_and_set_word and friends). */
export async function stepClearAndSet(t: TracedFunction, step: string, offset: number, width: Width, clear: number, set: number, why: string): Promise<void> {
  const old = await stepRead(t, offset, width);
  await stepWrite(t, step, offset, width, ((old & ~clear) | set) >>> 0, why);
}

/** A write to BAR memory (the MSI-X table); false, with a note, when the backend has no BAR access. */
export async function stepBarWrite(t: TracedFunction, step: string, bar: number, offset: number, value: number, why: string): Promise<boolean> {
  const bars = t.access.bars;
  if (!bars) {
    t.log.note(step, `no BAR access: ${why} not applied`);
    return false;
  }
  await t.log.run(step, () => bars.writel(bar, offset, value), why);
  return true;
}
