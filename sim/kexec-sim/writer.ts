/**
 * Every config (and MSI-X table) write a kexec step makes, named after the kernel function that
 * made it and with the reason, plus the value read back: on a QEMU 7.2 e1000e the Device Control
 * writes are dropped (read-only there, qemu.md 2.1), and the read-back shows it. Steps that decide
 * not to write leave a note instead, so a report can say why a register did not change.
 */
import { readWidth, writeWidth, type FunctionAccess, type Width } from '../../devices/access.js';

export interface StepWrite {
  /** The kernel function that wrote (e.g. pci_clear_master, pci_msix_init). */
  readonly step: string;
  readonly space: 'config' | 'bar';
  /** BAR index for space === 'bar' (the MSI-X table). */
  readonly bar?: number;
  readonly offset: number;
  readonly width: Width;
  readonly value: number;
  /** What the register holds right after the write (differs from value when bits are read-only). */
  readonly readback: number;
  readonly why: string;
}

export interface StepNote {
  readonly step: string;
  readonly why: string;
}

export interface StepLog {
  readonly writes: StepWrite[];
  readonly notes: StepNote[];
}

export const newStepLog = (): StepLog => ({ writes: [], notes: [] });

export class StepWriter {
  constructor(
    readonly fn: FunctionAccess,
    readonly log: StepLog = newStepLog(),
  ) {}

  read(offset: number, width: Width): Promise<number> {
    return readWidth(this.fn.config, offset, width);
  }

  async write(step: string, offset: number, width: Width, value: number, why: string): Promise<void> {
    const v = width === 4 ? value >>> 0 : value & (width === 2 ? 0xffff : 0xff);
    await writeWidth(this.fn.config, offset, width, v);
    const readback = await readWidth(this.fn.config, offset, width);
    this.log.writes.push({ step, space: 'config', offset, width, value: v, readback, why });
  }

  /** Read-modify-write of a config register (pcie_capability_clear_and_set_word and friends). */
  async clearAndSet(step: string, offset: number, width: Width, clear: number, set: number, why: string): Promise<void> {
    const old = await this.read(offset, width);
    await this.write(step, offset, width, (old & ~clear) | set, why);
  }

  async barWrite(step: string, bar: number, offset: number, value: number, why: string): Promise<boolean> {
    const bars = this.fn.bars;
    if (!bars) {
      this.note(step, `no BAR access: ${why} not applied`);
      return false;
    }
    await bars.writel(bar, offset, value >>> 0);
    const readback = await bars.readl(bar, offset);
    this.log.writes.push({ step, space: 'bar', bar, offset, width: 4, value: value >>> 0, readback, why });
    return true;
  }

  note(step: string, why: string): void {
    this.log.notes.push({ step, why });
  }
}
