/**
 * Compile register tables into per-byte masks, as QEMU does with wmask/w1cmask/cmask
 * (hw/pci/pci.c pci_init_wmask, pci_init_w1cmask). One write path (config-space.ts) then handles
 * every register; nothing per register is interpreted at access time.
 */
import { DeviceError } from './errors.js';
import { fieldMask, type Access, type FieldDef, type RegisterDef } from './registers.js';

export interface ByteMasks {
  readonly size: number;
  /** RW bits: a write stores the written value. */
  readonly writable: Uint8Array;
  /** RW1C bits: writing 1 clears. */
  readonly w1c: Uint8Array;
  /** RW1S bits: writing 1 sets. */
  readonly w1s: Uint8Array;
  readonly sticky: Uint8Array;
  readonly hwinit: Uint8Array;
  readonly volatile: Uint8Array;
  readonly rsvdz: Uint8Array;
  /** RsvdP bits, including bits of a declared register that no field covers. */
  readonly rsvdp: Uint8Array;
  /** RO (constant) bits. */
  readonly ro: Uint8Array;
  /** Bits that read back 0 after their side effect (BCR_FLR). */
  readonly selfClearing: Uint8Array;
  /** Value after a reset that is not survived, for writable/W1C/W1S bits. */
  readonly resetValue: Uint8Array;
  /** Bits covered by some declared register. */
  readonly claimed: Uint8Array;
}

export interface PlacedField {
  readonly register: RegisterDef;
  readonly field: FieldDef;
}

export interface CompiledLayout {
  readonly masks: ByteMasks;
  /** Register that owns each byte (absolute registers), or undefined for unclaimed bytes. */
  readonly registerAt: readonly (RegisterDef | undefined)[];
  readonly registers: readonly RegisterDef[];
}

/** What to do with bytes no register claims: read-only (spec default) or free scratch (QEMU). */
export type UnclaimedPolicy =
  | { readonly kind: 'readonly' }
  | {
      readonly kind: 'scratch';
      readonly from: number;
      /** [start, end) ranges that stay read-only although no modelled register claims them. */
      readonly readonly?: readonly (readonly [number, number])[];
    };

function accessMaskName(access: Access): keyof ByteMasks {
  switch (access) {
    case 'RW': return 'writable';
    case 'RW1C': return 'w1c';
    case 'RW1S': return 'w1s';
    case 'HwInit': return 'hwinit';
    case 'RsvdZ': return 'rsvdz';
    case 'RsvdP': return 'rsvdp';
    case 'RO': return 'ro';
  }
}

/**
 * Compile absolute register tables. Overlapping registers or fields are a bug in a table or a
 * profile, so they throw (constructing an impossible device always throws).
 */
export function compileLayout(
  size: number,
  registers: readonly RegisterDef[],
  unclaimed: UnclaimedPolicy = { kind: 'readonly' },
): CompiledLayout {
  // The thirteen masks share one allocation (a function is built several times per fuzzed cycle).
  const block = new Uint8Array(size * 13);
  let next = 0;
  const mk = () => block.subarray(size * next, size * ++next);
  const masks: ByteMasks = {
    size, writable: mk(), w1c: mk(), w1s: mk(), sticky: mk(), hwinit: mk(), volatile: mk(),
    rsvdz: mk(), rsvdp: mk(), ro: mk(), selfClearing: mk(), resetValue: mk(), claimed: mk(),
  };
  const registerAt: (RegisterDef | undefined)[] = new Array(size).fill(undefined);

  for (const reg of registers) {
    if (reg.offset < 0 || reg.offset + reg.width > size || reg.offset % reg.width !== 0) {
      throw new DeviceError('bad-register-table', `register ${reg.name} at 0x${reg.offset.toString(16)} (width ${reg.width}) is misaligned or outside ${size}-byte config space`, { register: reg.name, offset: reg.offset });
    }
    for (let i = 0; i < reg.width; i++) {
      const other = registerAt[reg.offset + i];
      if (other) {
        throw new DeviceError('bad-register-table', `register ${reg.name} overlaps ${other.name} at 0x${(reg.offset + i).toString(16)}`, { register: reg.name, other: other.name, offset: reg.offset + i });
      }
      registerAt[reg.offset + i] = reg;
    }
    let covered = 0;
    for (const fd of reg.fields) {
      if (fd.lo < 0 || fd.hi < fd.lo || fd.hi >= reg.width * 8) {
        throw new DeviceError('bad-register-table', `field ${fd.name} bits ${fd.hi}:${fd.lo} do not fit ${reg.name}`, { register: reg.name, field: fd.name });
      }
      const m = fieldMask(fd);
      if ((covered & m) !== 0) {
        throw new DeviceError('bad-register-table', `field ${fd.name} overlaps another field of ${reg.name}`, { register: reg.name, field: fd.name });
      }
      covered = (covered | m) >>> 0;
      const shiftedReset = (((fd.reset ?? 0) << fd.lo) & m) >>> 0;
      setBits(masks[accessMaskName(fd.access)] as Uint8Array, reg.offset, reg.width, m);
      if (fd.sticky) setBits(masks.sticky, reg.offset, reg.width, m);
      if (fd.volatile) setBits(masks.volatile, reg.offset, reg.width, m);
      if (fd.selfClearing) setBits(masks.selfClearing, reg.offset, reg.width, m);
      setBits(masks.resetValue, reg.offset, reg.width, shiftedReset);
    }
    const full = reg.width === 4 ? 0xffffffff : (1 << (reg.width * 8)) - 1;
    setBits(masks.claimed, reg.offset, reg.width, full);
    setBits(masks.rsvdp, reg.offset, reg.width, (full & ~covered) >>> 0);
  }

  if (unclaimed.kind === 'scratch') {
    const fixed = unclaimed.readonly ?? [];
    for (let i = unclaimed.from; i < size; i++) {
      if (masks.claimed[i] === 0 && !fixed.some(([a, b]) => i >= a && i < b)) masks.writable[i] = 0xff;
    }
  }
  return { masks, registerAt, registers };
}

function setBits(target: Uint8Array, offset: number, width: number, mask: number): void {
  for (let i = 0; i < width; i++) target[offset + i] |= (mask >>> (8 * i)) & 0xff;
}
