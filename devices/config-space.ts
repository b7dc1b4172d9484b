/**
 * A function's configuration space: the bytes are the only state. Derived facts (MSI-X enabled,
 * memory decode, power state) are always read from the bytes, never cached beside them.
 *
 * One write path for every register, QEMU's rule (hw/pci/pci.c pci_default_write_config) extended
 * with RW1S: new = (old & ~wmask) | (val & wmask); new &= ~(val & w1c); new |= val & w1s.
 * RO, HwInit, RsvdP and RsvdZ bits ignore writes. Side effects (FLR initiate, PMCSR state change,
 * MSI-X enable, secondary bus reset) are hooks on byte ranges, run after the bytes change.
 */
import type { ConfigAccess, Width } from './access.js';
import type { CompiledLayout } from './compile.js';
import { readLE, writeLE } from './bytes.js';

export interface WriteEvent {
  readonly offset: number;
  readonly width: Width;
  /** The value the software wrote. */
  readonly written: number;
  /** Register bytes [offset, offset+width) before and after the masked write. */
  readonly before: number;
  readonly after: number;
}

export interface WriteHook {
  readonly name: string;
  /** Byte range [start, end) the hook watches. */
  readonly start: number;
  readonly end: number;
  readonly onWrite: (space: ConfigSpace, event: WriteEvent) => void;
}

export class ConfigSpace {
  readonly bytes: Uint8Array;
  private readonly hooks: WriteHook[] = [];

  constructor(
    bytes: Uint8Array,
    readonly layout: CompiledLayout,
  ) {
    this.bytes = bytes;
  }

  get size(): number {
    return this.bytes.length;
  }

  addHook(hook: WriteHook): void {
    this.hooks.push(hook);
  }

  /** Guest-visible read. Out-of-range reads return all-ones, as an absent register does. */
  read(offset: number, width: Width): number {
    if (offset < 0 || offset + width > this.bytes.length) return width === 4 ? 0xffffffff : (1 << (8 * width)) - 1;
    return readLE(this.bytes, offset, width);
  }

  /** Guest-visible write through the masks; out-of-range writes are dropped. */
  write(offset: number, width: Width, value: number): void {
    if (offset < 0 || offset + width > this.bytes.length) return;
    const m = this.layout.masks;
    const before = this.read(offset, width);
    for (let i = 0; i < width; i++) {
      const at = offset + i;
      const val = (value >>> (8 * i)) & 0xff;
      let b = (this.bytes[at] & ~m.writable[at]) | (val & m.writable[at]);
      b &= ~(val & m.w1c[at]);
      b |= val & m.w1s[at];
      this.bytes[at] = b & 0xff;
    }
    const after = this.read(offset, width);
    const end = offset + width;
    for (const hook of this.hooks) {
      if (hook.start < end && offset < hook.end) hook.onWrite(this, { offset, width, written: value >>> 0, before, after });
    }
    // Self-clearing bits (BCR_FLR) read back 0 once their hook has run.
    for (let i = 0; i < width; i++) this.bytes[offset + i] &= ~m.selfClearing[offset + i] & 0xff;
  }

  /** Hardware-side store that bypasses the masks (device state changes, construction, resets). */
  poke(offset: number, width: Width, value: number): void {
    writeLE(this.bytes, offset, width, value);
  }

  mask(name: keyof Omit<CompiledLayout['masks'], 'size'>, offset: number, width: Width): number {
    return readLE(this.layout.masks[name], offset, width);
  }

  snapshot(): Uint8Array {
    return this.bytes.slice();
  }

  /** The ConfigAccess view of this space (the model backend). */
  access(): ConfigAccess {
    return new ModelConfigAccess(this);
  }
}

class ModelConfigAccess implements ConfigAccess {
  constructor(private readonly space: ConfigSpace) {}
  readonly peek = (o: number, w: Width): number => this.space.read(o, w);
  get size(): number { return this.space.size; }
  async readb(o: number): Promise<number> { return this.space.read(o, 1); }
  async readw(o: number): Promise<number> { return this.space.read(o, 2); }
  async readl(o: number): Promise<number> { return this.space.read(o, 4); }
  async writeb(o: number, v: number): Promise<void> { this.space.write(o, 1, v); }
  async writew(o: number, v: number): Promise<void> { this.space.write(o, 2, v); }
  async writel(o: number, v: number): Promise<void> { this.space.write(o, 4, v); }
}
