/**
 * Register tables as data. Each capability file declares its registers with Linux pci_regs.h
 * names; compile.ts turns them into per-byte masks. Nothing else states these facts twice.
 *
 * Access kinds follow PCIe Base Spec r6.0 section 7.4 "Configuration Register Types":
 *   RO      read-only, value set by hardware (constant unless `volatile`)
 *   RW      read-write
 *   RW1C    status: reads state, writing 1 clears, writing 0 has no effect
 *   RW1S    writing 1 sets, writing 0 has no effect
 *   HwInit  set by hardware/firmware at init, read-only to software; only a cold reset re-inits it
 *   RsvdP   reserved, software must preserve: read-only in the model
 *   RsvdZ   reserved, reads as zero and writes are ignored
 * Modifiers:
 *   sticky    RWS/RW1CS/ROS: survives FLR and hot reset (PCIe r6.0 7.4, "Sticky")
 *   volatile  read-only bits the hardware changes (link status, presence detect, pending bits);
 *             separate from constant RO, because QEMU's migration bugs around presence-detect
 *             and root-status bits show why the two must not be confused.
 */
export type Access = 'RO' | 'RW' | 'RW1C' | 'RW1S' | 'HwInit' | 'RsvdP' | 'RsvdZ';

export const ACCESS_KINDS: readonly Access[] = ['RO', 'RW', 'RW1C', 'RW1S', 'HwInit', 'RsvdP', 'RsvdZ'];

export interface FieldDef {
  /** Linux name, e.g. PCI_EXP_DEVCTL_BCR_FLR; reserved ranges are named "rsvd". */
  readonly name: string;
  /** Lowest bit of the field within its register. */
  readonly lo: number;
  /** Highest bit of the field within its register (inclusive). */
  readonly hi: number;
  readonly access: Access;
  readonly sticky?: boolean;
  readonly volatile?: boolean;
  /** Field value after a reset that is not survived (default 0). Field-relative (not shifted). */
  readonly reset?: number;
  /** Reads back 0 after the side effect it triggers (e.g. PCI_EXP_DEVCTL_BCR_FLR). */
  readonly selfClearing?: boolean;
  /** A short description for `inspect --fields`. */
  readonly doc?: string;
}

export interface RegisterDef {
  /** Linux name, e.g. PCI_EXP_DEVCTL. */
  readonly name: string;
  /** Byte offset, relative to the capability (or header) start. */
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly fields: readonly FieldDef[];
  readonly doc?: string;
}

/** Field builder: `f('PCI_EXP_DEVCTL_PAYLOAD', [7, 5], 'RW')` or `f('PCI_EXP_DEVCTL_CERE', 0, 'RW')`. */
export function f(
  name: string,
  bits: number | readonly [hi: number, lo: number],
  access: Access,
  extra?: Omit<FieldDef, 'name' | 'lo' | 'hi' | 'access'>,
): FieldDef {
  const [hi, lo] = typeof bits === 'number' ? [bits, bits] : bits;
  // Every field in one shape, absent attributes undefined: the reset planner, the mask compiler and
  // the classifier read every field of a function several times per fuzzed cycle, and fields of
  // many shapes make each of those reads a slow megamorphic load (applyReset: 0.8x the time).
  return { name, lo, hi, access, sticky: extra?.sticky, volatile: extra?.volatile, reset: extra?.reset, selfClearing: extra?.selfClearing, doc: extra?.doc };
}

/** Register builder. Bits not covered by a field are reserved (RsvdP): read-only, preserved. */
export function r(
  name: string,
  offset: number,
  width: 1 | 2 | 4,
  fields: readonly FieldDef[],
  doc?: string,
): RegisterDef {
  // One shape for every register, as for fields (see f).
  return { name, offset, width, fields, doc };
}

/** A register that is one field spanning all its bits (IDs, addresses, data words). */
export function whole(
  name: string,
  offset: number,
  width: 1 | 2 | 4,
  access: Access,
  extra: Omit<FieldDef, 'name' | 'lo' | 'hi' | 'access'> = {},
): RegisterDef {
  return r(name, offset, width, [f(name, [width * 8 - 1, 0], access, extra)]);
}

// Integer shifts, not `* 2 ** lo`: these run for every field of every register a cycle judges
// (bench/fuzz.ts). A field never passes bit 31, so `<< lo` cannot lose bits; `>>> 0` makes it unsigned.
export function fieldMask(fd: Pick<FieldDef, 'lo' | 'hi'>): number {
  const bits = fd.hi - fd.lo + 1;
  return bits >= 32 ? 0xffffffff : (((1 << bits) - 1) << fd.lo) >>> 0;
}

export function fieldValue(fd: Pick<FieldDef, 'lo' | 'hi'>, registerValue: number): number {
  return (registerValue & fieldMask(fd)) >>> fd.lo;
}

/** Shift a register table by a base offset (a capability placed at `base`). */
export function placeRegisters(base: number, regs: readonly RegisterDef[]): RegisterDef[] {
  return regs.map((reg) => ({ ...reg, offset: base + reg.offset }));
}

/**
 * An attribute departure a device profile declares: the implementation differs from the spec
 * (QEMU 7.2's e1000e Device Control is read-only; qemu.md section 2.1). `reason` and `source`
 * are mandatory so every departure is explained where it is stated.
 */
export interface AttributeOverride {
  /** Register name (e.g. PCI_EXP_DEVCTL); a trailing '*' matches a prefix (PCI_EXP_*). */
  readonly register: string;
  /** Field name, '*' for every field, or a prefix ending in '*'. */
  readonly field: string;
  /** Only registers inside this capability (key, e.g. "pcie"); default: any. */
  readonly capability?: string;
  /**
   * Only one instance of that capability, when a function has several (vendor-specific ones
   * repeat): the one at `offset`, or the one whose byte at capability-relative `byte` equals
   * `equals` (virtio's VNDR caps say their cfg_type at +3).
   */
  readonly instance?: InstanceSelector;
  readonly access?: Access;
  readonly sticky?: boolean;
  readonly volatile?: boolean;
  readonly reason: string;
  readonly source: string;
}

export type InstanceSelector =
  | { readonly offset: number }
  | { readonly byte: number; readonly equals: number };

/** The capability instance a register belongs to: its key and absolute offset. */
export interface CapabilityInstance {
  readonly key: string;
  readonly offset: number;
}

function instanceMatches(sel: InstanceSelector, cap: CapabilityInstance | undefined, bytes: Uint8Array): boolean {
  if (!cap) return false;
  if ('offset' in sel) return cap.offset === sel.offset;
  return bytes[cap.offset + sel.byte] === sel.equals;
}

export function nameMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/**
 * Apply overrides in order (later ones win) to registers; `capabilityOf` names the capability
 * instance a register belongs to, and `bytes` (the function's config space) lets an override pick
 * an instance by its contents.
 */
export function applyOverrides(
  regs: readonly RegisterDef[],
  overrides: readonly AttributeOverride[],
  capabilityOf: (reg: RegisterDef) => CapabilityInstance | undefined = () => undefined,
  bytes: Uint8Array = new Uint8Array(0),
): RegisterDef[] {
  if (overrides.length === 0) return [...regs];
  return regs.map((reg) => {
    const cap = capabilityOf(reg);
    const mine = overrides.filter((o) => nameMatches(o.register, reg.name)
      && (o.capability === undefined || o.capability === cap?.key)
      && (o.instance === undefined || instanceMatches(o.instance, cap, bytes)));
    if (mine.length === 0) return reg;
    const fields = reg.fields.map((fd) => {
      let out: FieldDef = fd;
      for (const o of mine) {
        if (!nameMatches(o.field, fd.name)) continue;
        out = {
          ...out,
          ...(o.access !== undefined ? { access: o.access } : {}),
          ...(o.sticky !== undefined ? { sticky: o.sticky } : {}),
          ...(o.volatile !== undefined ? { volatile: o.volatile } : {}),
        };
      }
      return out;
    });
    return { ...reg, fields };
  });
}
