/**
 * The bookkeeping every reset personality shares: a bit plan over the function's bytes. Each rule
 * either resets bits (clear/set) or keeps them at their pre-reset value, and records which rule
 * decided each bit, so the report can name the rule for every field that changed or survived.
 */
import { readLE } from '../bytes.js';
import { capabilityById } from '../capability-lookup.js';
import type { PciFunction } from '../device.js';
import { PCI_CAP_ID_EXP, PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR } from '../pci-regs.js';

export class ResetPlan {
  readonly after: Uint8Array;
  /**
   * What each rule decided, in order: (byte, bits, 1 + the rule's index in `rules`) triples. The
   * per-bit table ruleFor reads is built from them when first asked: a plan is made per reset
   * (several per fuzzed cycle) and has 32768 bits, and most plans are never asked.
   */
  private readonly marks: number[] = [];
  private ruleAt: Uint16Array | undefined;
  private readonly rules: string[] = [];
  private readonly ruleIds = new Map<string, number>();

  constructor(readonly before: Uint8Array) {
    this.after = before.slice();
  }

  /** Clear `clear` then set `set` in the little-endian register at `offset`; record `rule`. */
  reset(offset: number, width: number, clear: number, set: number, rule: string): void {
    for (let i = 0; i < width; i++) {
      const at = offset + i;
      if (at >= this.after.length) return;
      const c = (clear >>> (8 * i)) & 0xff;
      const s = (set >>> (8 * i)) & 0xff;
      this.after[at] = ((this.after[at] & ~c) | s) & 0xff;
      this.mark(at, c | s, rule);
    }
  }

  /** Put `mask` bits back to their pre-reset value (an exemption); record `rule`. */
  keep(offset: number, width: number, mask: number, rule: string): void {
    for (let i = 0; i < width; i++) {
      const at = offset + i;
      if (at >= this.after.length) return;
      const m = (mask >>> (8 * i)) & 0xff;
      this.after[at] = ((this.after[at] & ~m) | (this.before[at] & m)) & 0xff;
      this.mark(at, m, rule);
    }
  }

  /** The rule recorded for any bit of `mask` in the register at `offset`, if one was. */
  ruleFor(offset: number, width: number, mask: number): string | undefined {
    const ruleAt = (this.ruleAt ??= this.ruleTable());
    for (let i = 0; i < width; i++) {
      const m = (mask >>> (8 * i)) & 0xff;
      for (let b = 0; b < 8; b++) {
        if (m & (1 << b)) {
          const r = ruleAt[(offset + i) * 8 + b];
          if (r) return this.rules[r - 1];
        }
      }
    }
    return undefined;
  }

  private mark(at: number, bits: number, rule: string): void {
    if (!bits) return;
    let id = this.ruleIds.get(rule);
    if (id === undefined) {
      id = this.rules.push(rule);
      this.ruleIds.set(rule, id);
    }
    this.marks.push(at, bits, id);
    this.ruleAt = undefined;
  }

  /** Per bit, 1 + the index of the last rule that decided it (0: none). */
  private ruleTable(): Uint16Array {
    const ruleAt = new Uint16Array(this.before.length * 8);
    for (let i = 0; i < this.marks.length; i += 3) {
      const at = this.marks[i];
      const bits = this.marks[i + 1];
      for (let b = 0; b < 8; b++) if (bits & (1 << b)) ruleAt[at * 8 + b] = this.marks[i + 2];
    }
    return ruleAt;
  }
}


/** DEVCAP.FLR of the function's PCIe capability (false without one). */
export function hasFlr(fn: PciFunction): boolean {
  const exp = capabilityById(fn, PCI_CAP_ID_EXP, false);
  if (!exp) return false;
  return (readLE(fn.space.bytes, exp.offset + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR) !== 0;
}
