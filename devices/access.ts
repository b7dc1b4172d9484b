/**
 * The one interface every config-space backend implements: the model (devices/config-space.ts),
 * QEMU over qtest (kexec/qemu/qtest-config-access.ts), and later sysfs/VFIO.
 *
 * Accesses are asynchronous so that the same kernel step functions (sim/linux/*, named after
 * pci_save_state, pci_restore_state, ...) drive a modelled device and a real one in QEMU.
 * Offsets are byte offsets into the function's configuration space; values are unsigned.
 * Guest-visible accesses never throw for bad values: like hardware, reads of absent functions
 * return all-ones and writes to read-only bits are dropped.
 */
export interface ConfigAccess {
  /** 256 for conventional PCI, 4096 for PCIe extended configuration space. */
  readonly size: number;
  readb(offset: number): Promise<number>;
  readw(offset: number): Promise<number>;
  readl(offset: number): Promise<number>;
  writeb(offset: number, value: number): Promise<void>;
  writew(offset: number, value: number): Promise<void>;
  writel(offset: number, value: number): Promise<void>;
  /**
   * A synchronous read, offered only by a backend whose reads cost nothing and change nothing
   * (the model): the same value readb/readw/readl give. Read-only walks (the capability lookups of
   * devices/find-cap.ts, a hundred per fuzzed cycle) go through it in one go instead of one
   * awaited read per hop. QEMU has none: there every read is a round trip.
   */
  readonly peek?: (offset: number, width: Width) => number;
}

/** Memory-space access to a function's BARs (MSI-X table and PBA live there). */
export interface BarAccess {
  readl(bar: number, offset: number): Promise<number>;
  writel(bar: number, offset: number, value: number): Promise<void>;
}

/** A function as seen by kernel step functions: config space plus optional BAR memory. */
export interface FunctionAccess {
  readonly config: ConfigAccess;
  readonly bars?: BarAccess;
}

export type Width = 1 | 2 | 4;

// Not async: they hand back the access's own promise (an async wrapper adds another promise and
// its microtask turns to every config access, about 1200 promises per fuzzed cycle).
export function readWidth(a: ConfigAccess, offset: number, width: Width): Promise<number> {
  if (width === 1) return a.readb(offset);
  if (width === 2) return a.readw(offset);
  return a.readl(offset);
}

export function writeWidth(a: ConfigAccess, offset: number, width: Width, value: number): Promise<void> {
  if (width === 1) return a.writeb(offset, value);
  if (width === 2) return a.writew(offset, value);
  return a.writel(offset, value);
}
