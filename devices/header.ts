/**
 * The configuration header: type 0 (endpoint), type 1 (PCI-to-PCI bridge) and the type 2 (CardBus)
 * registers up to its capability pointer.
 * Spec: PCI Local Bus r3.0 6.2 (type 0), PCI-to-PCI Bridge Architecture r1.2 3.2 (type 1),
 * PCIe Base r6.0 7.5.1 (what PCI Express changes: most legacy bits hardwired to 0).
 *
 *   0x00 PCI_VENDOR_ID    | PCI_DEVICE_ID                  (common to all header types)
 *   0x04 PCI_COMMAND      | PCI_STATUS
 *   0x08 PCI_REVISION_ID | PCI_CLASS_PROG | PCI_CLASS_DEVICE (u16)
 *   0x0c PCI_CACHE_LINE_SIZE | PCI_LATENCY_TIMER | PCI_HEADER_TYPE | PCI_BIST
 *   type 0: 0x10..0x24 BAR0..5, 0x28 PCI_CARDBUS_CIS, 0x2c PCI_SUBSYSTEM_VENDOR_ID | PCI_SUBSYSTEM_ID,
 *           0x30 PCI_ROM_ADDRESS, 0x34 PCI_CAPABILITY_LIST, 0x3c PCI_INTERRUPT_LINE | _PIN | MIN_GNT | MAX_LAT
 *   type 1: 0x10/0x14 BAR0/1, 0x18 PCI_PRIMARY_BUS | SECONDARY | SUBORDINATE | SEC_LATENCY_TIMER,
 *           0x1c PCI_IO_BASE | PCI_IO_LIMIT | PCI_SEC_STATUS, 0x20 memory window, 0x24 prefetchable
 *           window, 0x28/0x2c its upper 32 bits, 0x30 I/O upper 16 bits, 0x34 PCI_CAPABILITY_LIST,
 *           0x38 PCI_ROM_ADDRESS1, 0x3c PCI_INTERRUPT_LINE | PCI_INTERRUPT_PIN | PCI_BRIDGE_CONTROL
 *   type 2: 0x10 socket/ExCA base (BAR0), 0x14 PCI_CB_CAPABILITY_LIST, 0x16 PCI_CB_SEC_STATUS
 *
 * Access follows PCIe r6.0 7.5.1: COMMAND SPECIAL/INVALIDATE/VGA_PALETTE/WAIT/FAST_BACK, the
 * latency timers, BRIDGE_CONTROL MASTER_ABORT/FAST_BACK and the discard-timer bits are hardwired
 * to 0 (RO). A conventional PCI device that implements them declares that in its profile with an
 * AttributeOverride. BIST_START is RO here because no QEMU 7.2 device implements BIST
 * (hw/pci/pci.c pci_init_wmask leaves 0x0f read-only); a BIST-capable profile overrides it.
 *
 * BARs: a dump does not say how large a BAR is. With a known size the address bits below the size
 * are read-only zero (size alignment, PCI r3.0 6.2.5.1); with an unknown size every address bit is
 * RW. The type bits (I/O vs memory, 64-bit, prefetchable) are read-only; they are read from the
 * dump when `bytes` is given, otherwise every BAR is taken as 32-bit memory.
 *
 * Save/restore: pci_save_state saves dwords 0..15 of the header; pci_restore_config_space writes
 * back dwords 15..10, then 9..4 (BARs, with retries), then 3..0 (linux-pci.md section 4.1).
 * Reset: FLR and conventional reset clear COMMAND, the RW1C STATUS bits, BARs to their type bits,
 * bridge bus numbers and windows. Nothing in the header is sticky; the subsystem IDs are HwInit
 * (firmware may load them; only a cold reset re-inits them).
 */
import { DeviceError } from './errors.js';
import { f, r, type FieldDef, type RegisterDef } from './registers.js';
import { isMem64Bar } from './bar.js';
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_SPACE_IO, PCI_BIST, PCI_BRIDGE_CONTROL, PCI_CACHE_LINE_SIZE, PCI_CAPABILITY_LIST,
  PCI_CARDBUS_CIS, PCI_CB_CAPABILITY_LIST, PCI_CB_SEC_STATUS, PCI_CLASS_DEVICE, PCI_CLASS_PROG, PCI_COMMAND,
  PCI_DEVICE_ID, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE, PCI_HEADER_TYPE_CARDBUS, PCI_HEADER_TYPE_MASK,
  PCI_HEADER_TYPE_NORMAL, PCI_INTERRUPT_LINE, PCI_INTERRUPT_PIN, PCI_IO_BASE, PCI_IO_BASE_UPPER16,
  PCI_IO_LIMIT, PCI_IO_LIMIT_UPPER16, PCI_LATENCY_TIMER, PCI_MAX_LAT, PCI_MEMORY_BASE, PCI_MEMORY_LIMIT,
  PCI_MIN_GNT, PCI_PREF_BASE_UPPER32, PCI_PREF_LIMIT_UPPER32, PCI_PREF_MEMORY_BASE, PCI_PREF_MEMORY_LIMIT,
  PCI_PRIMARY_BUS, PCI_REVISION_ID, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS1, PCI_SECONDARY_BUS,
  PCI_SEC_LATENCY_TIMER, PCI_SEC_STATUS, PCI_STATUS, PCI_SUBORDINATE_BUS, PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID, PCI_VENDOR_ID,
} from './pci-regs.js';

/** The RW1C error bits of PCI_STATUS (PARITY, SIG/REC_TARGET_ABORT, REC_MASTER_ABORT, SIG_SYSTEM_ERROR, DETECTED_PARITY). */
export const PCI_STATUS_ERROR_BITS = 0xf900;
/** Index of the expansion ROM in `barSizes` (Linux PCI_ROM_RESOURCE). */
export const PCI_ROM_RESOURCE = 6;

export interface HeaderOptions {
  /**
   * Decoded size in bytes per BAR index (0..5), and of the expansion ROM at index 6
   * (PCI_ROM_RESOURCE). undefined = unknown (all address bits RW); 0 = not implemented (the whole
   * register reads 0). For a 64-bit BAR the size sits at its lower index.
   */
  readonly barSizes?: readonly (number | undefined)[];
  /** The dump's bytes, to read BAR type bits and the bridge window types (16/32-bit I/O, 64-bit prefetchable). */
  readonly bytes?: Uint8Array;
}

function dword(bytes: Uint8Array | undefined, at: number): number | undefined {
  if (!bytes || at + 4 > bytes.length) return undefined;
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/** log2 of a BAR size, checking it is a power of two no smaller than the type allows. */
function sizeBits(name: string, size: number, min: number): number {
  const bits = Math.log2(size);
  if (!Number.isInteger(bits) || size < min || bits > 63) {
    throw new DeviceError('bad-profile', `${name}: size ${size} is not a power of two >= ${min}; give the size lspci -vv shows for this BAR (or leave it unknown)`, { register: name, size });
  }
  return bits;
}

/**
 * Address fields of one dword: bits [lo, 31] carry address bits [base+lo, base+31]; those below
 * `bits` (the size) are RO zero, the rest RW. `bits` undefined = unknown size, all RW.
 */
function addressFields(name: string, lo: number, base: number, bits: number | undefined): FieldDef[] {
  const roTop = bits === undefined ? lo - 1 : Math.min(31, bits - base - 1);
  const out: FieldDef[] = [];
  if (roTop >= lo) out.push(f(`${name}_SIZE_ALIGN`, [roTop, lo], 'RO', { doc: 'address bits below the BAR size: read-only zero' }));
  if (roTop < 31) out.push(f(`${name}_ADDR`, [31, Math.max(lo, roTop + 1)], 'RW'));
  return out;
}

/** BAR registers at 0x10 + 4*i for i < count (6 for type 0, 2 for type 1, 1 for type 2). */
function barRegisters(count: number, opts: HeaderOptions): RegisterDef[] {
  const regs: RegisterDef[] = [];
  for (let i = 0; i < count; i++) {
    const name = `PCI_BASE_ADDRESS_${i}`;
    const offset = PCI_BASE_ADDRESS_0 + 4 * i;
    const size = opts.barSizes?.[i];
    const value = dword(opts.bytes, offset) ?? 0;
    if (size === 0) {
      regs.push(r(name, offset, 4, [f(name, [31, 0], 'RO', { doc: 'BAR not implemented: hardwired to 0' })]));
      continue;
    }
    if (value & PCI_BASE_ADDRESS_SPACE_IO) {
      const bits = size === undefined ? undefined : sizeBits(name, size, 4);
      regs.push(r(name, offset, 4, [
        f(`${name}_SPACE`, 0, 'RO', { doc: 'PCI_BASE_ADDRESS_SPACE: 1 = I/O' }),
        ...addressFields(name, 2, 0, bits),
      ]));
      continue;
    }
    const is64 = isMem64Bar(value) && i + 1 < count;
    const bits = size === undefined ? undefined : sizeBits(name, size, 16);
    if (!is64 && bits !== undefined && bits > 32) {
      throw new DeviceError('bad-profile', `${name} is a 32-bit BAR but its size ${size} needs 64 bits`, { register: name, size });
    }
    regs.push(r(name, offset, 4, [
      f(`${name}_SPACE`, 0, 'RO', { doc: 'PCI_BASE_ADDRESS_SPACE: 0 = memory' }),
      f(`${name}_MEM_TYPE`, [2, 1], 'RO', { doc: 'PCI_BASE_ADDRESS_MEM_TYPE_MASK: 0 = 32-bit, 2 = 64-bit' }),
      f(`${name}_MEM_PREFETCH`, 3, 'RO'),
      ...addressFields(name, 4, 0, bits),
    ]));
    if (is64) {
      const upper = `PCI_BASE_ADDRESS_${i + 1}`;
      regs.push(r(upper, offset + 4, 4, addressFields(upper, 0, 32, bits), `upper 32 bits of 64-bit ${name}`));
      i++;
    }
  }
  return regs;
}

function romRegister(name: string, offset: number, opts: HeaderOptions): RegisterDef {
  const size = opts.barSizes?.[PCI_ROM_RESOURCE];
  if (size === 0) return r(name, offset, 4, [f(name, [31, 0], 'RO', { doc: 'no expansion ROM: hardwired to 0' })]);
  const bits = size === undefined ? undefined : sizeBits(name, size, 2048);
  return r(name, offset, 4, [
    f(`${name}_ENABLE`, 0, 'RW', { doc: 'PCI_ROM_ADDRESS_ENABLE' }),
    ...addressFields(name, 11, 0, bits),
  ]);
}

/** Registers 0x00..0x0f, the same in every header type. */
function commonRegisters(): RegisterDef[] {
  return [
    r('PCI_VENDOR_ID', PCI_VENDOR_ID, 2, [f('PCI_VENDOR_ID', [15, 0], 'RO')]),
    r('PCI_DEVICE_ID', PCI_DEVICE_ID, 2, [f('PCI_DEVICE_ID', [15, 0], 'RO')]),
    r('PCI_COMMAND', PCI_COMMAND, 2, [
      f('PCI_COMMAND_IO', 0, 'RW'),
      f('PCI_COMMAND_MEMORY', 1, 'RW'),
      f('PCI_COMMAND_MASTER', 2, 'RW'),
      f('PCI_COMMAND_SPECIAL', 3, 'RO', { doc: 'hardwired 0 on PCIe (r6.0 7.5.1.1.3)' }),
      f('PCI_COMMAND_INVALIDATE', 4, 'RO', { doc: 'hardwired 0 on PCIe' }),
      f('PCI_COMMAND_VGA_PALETTE', 5, 'RO', { doc: 'hardwired 0 on PCIe' }),
      f('PCI_COMMAND_PARITY', 6, 'RW'),
      f('PCI_COMMAND_WAIT', 7, 'RO', { doc: 'IDSEL stepping: hardwired 0 since PCI r3.0' }),
      f('PCI_COMMAND_SERR', 8, 'RW'),
      f('PCI_COMMAND_FAST_BACK', 9, 'RO', { doc: 'hardwired 0 on PCIe' }),
      f('PCI_COMMAND_INTX_DISABLE', 10, 'RW'),
    ]),
    r('PCI_STATUS', PCI_STATUS, 2, [
      f('PCI_STATUS_IMM_READY', 0, 'RO'),
      f('PCI_STATUS_INTERRUPT', 3, 'RO', { volatile: true, doc: 'INTx asserted' }),
      f('PCI_STATUS_CAP_LIST', 4, 'RO'),
      f('PCI_STATUS_66MHZ', 5, 'RO'),
      f('PCI_STATUS_UDF', 6, 'RO', { doc: 'obsolete, reads 0' }),
      f('PCI_STATUS_FAST_BACK', 7, 'RO'),
      f('PCI_STATUS_PARITY', 8, 'RW1C', { doc: 'Master Data Parity Error' }),
      f('PCI_STATUS_DEVSEL_MASK', [10, 9], 'RO'),
      f('PCI_STATUS_SIG_TARGET_ABORT', 11, 'RW1C'),
      f('PCI_STATUS_REC_TARGET_ABORT', 12, 'RW1C'),
      f('PCI_STATUS_REC_MASTER_ABORT', 13, 'RW1C'),
      f('PCI_STATUS_SIG_SYSTEM_ERROR', 14, 'RW1C'),
      f('PCI_STATUS_DETECTED_PARITY', 15, 'RW1C'),
    ]),
    r('PCI_REVISION_ID', PCI_REVISION_ID, 1, [f('PCI_REVISION_ID', [7, 0], 'RO')]),
    r('PCI_CLASS_PROG', PCI_CLASS_PROG, 1, [f('PCI_CLASS_PROG', [7, 0], 'RO')]),
    r('PCI_CLASS_DEVICE', PCI_CLASS_DEVICE, 2, [f('PCI_CLASS_DEVICE', [15, 0], 'RO', { doc: 'base class << 8 | sub-class' })]),
    r('PCI_CACHE_LINE_SIZE', PCI_CACHE_LINE_SIZE, 1, [f('PCI_CACHE_LINE_SIZE', [7, 0], 'RW', { doc: 'no effect on PCIe, still RW (r6.0 7.5.1.1.7)' })]),
    r('PCI_LATENCY_TIMER', PCI_LATENCY_TIMER, 1, [f('PCI_LATENCY_TIMER', [7, 0], 'RO', { doc: 'hardwired 0 on PCIe' })]),
    r('PCI_HEADER_TYPE', PCI_HEADER_TYPE, 1, [
      f('PCI_HEADER_TYPE_LAYOUT', [6, 0], 'RO', { doc: '0 normal, 1 bridge, 2 CardBus' }),
      f('PCI_HEADER_TYPE_MFD', 7, 'RO', { doc: 'multi-function device' }),
    ]),
    r('PCI_BIST', PCI_BIST, 1, [
      f('PCI_BIST_CODE_MASK', [3, 0], 'RO', { volatile: true }),
      f('PCI_BIST_START', 6, 'RO', { volatile: true, doc: 'RW on BIST-capable functions: declare it in the profile' }),
      f('PCI_BIST_CAPABLE', 7, 'RO'),
    ]),
  ];
}

function type0Registers(opts: HeaderOptions): RegisterDef[] {
  return [
    ...barRegisters(6, opts),
    r('PCI_CARDBUS_CIS', PCI_CARDBUS_CIS, 4, [f('PCI_CARDBUS_CIS', [31, 0], 'RO')]),
    r('PCI_SUBSYSTEM_VENDOR_ID', PCI_SUBSYSTEM_VENDOR_ID, 2, [f('PCI_SUBSYSTEM_VENDOR_ID', [15, 0], 'HwInit')]),
    r('PCI_SUBSYSTEM_ID', PCI_SUBSYSTEM_ID, 2, [f('PCI_SUBSYSTEM_ID', [15, 0], 'HwInit')]),
    romRegister('PCI_ROM_ADDRESS', PCI_ROM_ADDRESS, opts),
    // 0x35..0x37 and 0x38..0x3b are reserved (PCI r3.0 6.2): uncovered bits compile to RsvdP.
    r('PCI_CAPABILITY_LIST', PCI_CAPABILITY_LIST, 4, [f('PCI_CAPABILITY_LIST', [7, 0], 'RO')]),
    r('PCI_RESERVED_38', 0x38, 4, [], 'reserved (type 0)'),
    r('PCI_INTERRUPT_LINE', PCI_INTERRUPT_LINE, 1, [f('PCI_INTERRUPT_LINE', [7, 0], 'RW')]),
    r('PCI_INTERRUPT_PIN', PCI_INTERRUPT_PIN, 1, [f('PCI_INTERRUPT_PIN', [7, 0], 'RO')]),
    r('PCI_MIN_GNT', PCI_MIN_GNT, 1, [f('PCI_MIN_GNT', [7, 0], 'RO', { doc: 'hardwired 0 on PCIe' })]),
    r('PCI_MAX_LAT', PCI_MAX_LAT, 1, [f('PCI_MAX_LAT', [7, 0], 'RO', { doc: 'hardwired 0 on PCIe' })]),
  ];
}

/** Secondary Status bits (bridge r1.2 3.2.5.7); Linux reuses the PCI_STATUS_* values. */
function secondaryStatusFields(prefix: string): FieldDef[] {
  return [
    f(`${prefix}_66MHZ`, 5, 'RO'),
    f(`${prefix}_FAST_BACK`, 7, 'RO'),
    f(`${prefix}_PARITY`, 8, 'RW1C'),
    f(`${prefix}_DEVSEL_MASK`, [10, 9], 'RO'),
    f(`${prefix}_SIG_TARGET_ABORT`, 11, 'RW1C'),
    f(`${prefix}_REC_TARGET_ABORT`, 12, 'RW1C'),
    f(`${prefix}_REC_MASTER_ABORT`, 13, 'RW1C'),
    f(`${prefix}_RCV_SYSTEM_ERROR`, 14, 'RW1C'),
    f(`${prefix}_DETECTED_PARITY`, 15, 'RW1C'),
  ];
}

function type1Registers(opts: HeaderOptions): RegisterDef[] {
  const bytes = opts.bytes;
  // Window type nibbles are read-only: 1 = 32-bit I/O / 64-bit prefetchable (bridge r1.2 3.2.5.6, 3.2.5.9).
  // Without a dump both upper halves are taken as implemented (RW).
  const io32 = bytes === undefined || bytes.length <= PCI_IO_BASE || (bytes[PCI_IO_BASE] & 0x0f) === 1;
  const pref64 = bytes === undefined || bytes.length <= PCI_PREF_MEMORY_BASE || (bytes[PCI_PREF_MEMORY_BASE] & 0x0f) === 1;
  const upper = (name: string, offset: number, width: 2 | 4, rw: boolean, doc: string) =>
    r(name, offset, width, [f(name, [width * 8 - 1, 0], rw ? 'RW' : 'RO', { doc: rw ? doc : `${doc}; hardwired 0: the window is not ${width === 2 ? '32-bit' : '64-bit'}` })]);
  return [
    ...barRegisters(2, opts),
    r('PCI_PRIMARY_BUS', PCI_PRIMARY_BUS, 1, [f('PCI_PRIMARY_BUS', [7, 0], 'RW')]),
    r('PCI_SECONDARY_BUS', PCI_SECONDARY_BUS, 1, [f('PCI_SECONDARY_BUS', [7, 0], 'RW')]),
    r('PCI_SUBORDINATE_BUS', PCI_SUBORDINATE_BUS, 1, [f('PCI_SUBORDINATE_BUS', [7, 0], 'RW')]),
    r('PCI_SEC_LATENCY_TIMER', PCI_SEC_LATENCY_TIMER, 1, [f('PCI_SEC_LATENCY_TIMER', [7, 0], 'RO', { doc: 'hardwired 0 on PCIe' })]),
    r('PCI_IO_BASE', PCI_IO_BASE, 1, [f('PCI_IO_BASE_TYPE', [3, 0], 'RO', { doc: 'PCI_IO_RANGE_TYPE_MASK: 0 = 16-bit, 1 = 32-bit' }), f('PCI_IO_BASE_ADDR', [7, 4], 'RW')]),
    r('PCI_IO_LIMIT', PCI_IO_LIMIT, 1, [f('PCI_IO_LIMIT_TYPE', [3, 0], 'RO'), f('PCI_IO_LIMIT_ADDR', [7, 4], 'RW')]),
    r('PCI_SEC_STATUS', PCI_SEC_STATUS, 2, secondaryStatusFields('PCI_SEC_STATUS')),
    r('PCI_MEMORY_BASE', PCI_MEMORY_BASE, 2, [f('PCI_MEMORY_BASE_ADDR', [15, 4], 'RW')]),
    r('PCI_MEMORY_LIMIT', PCI_MEMORY_LIMIT, 2, [f('PCI_MEMORY_LIMIT_ADDR', [15, 4], 'RW')]),
    r('PCI_PREF_MEMORY_BASE', PCI_PREF_MEMORY_BASE, 2, [f('PCI_PREF_BASE_TYPE', [3, 0], 'RO', { doc: 'PCI_PREF_RANGE_TYPE_MASK: 0 = 32-bit, 1 = 64-bit' }), f('PCI_PREF_BASE_ADDR', [15, 4], 'RW')]),
    r('PCI_PREF_MEMORY_LIMIT', PCI_PREF_MEMORY_LIMIT, 2, [f('PCI_PREF_LIMIT_TYPE', [3, 0], 'RO'), f('PCI_PREF_LIMIT_ADDR', [15, 4], 'RW')]),
    upper('PCI_PREF_BASE_UPPER32', PCI_PREF_BASE_UPPER32, 4, pref64, 'prefetchable base bits 63:32'),
    upper('PCI_PREF_LIMIT_UPPER32', PCI_PREF_LIMIT_UPPER32, 4, pref64, 'prefetchable limit bits 63:32'),
    upper('PCI_IO_BASE_UPPER16', PCI_IO_BASE_UPPER16, 2, io32, 'I/O base bits 31:16'),
    upper('PCI_IO_LIMIT_UPPER16', PCI_IO_LIMIT_UPPER16, 2, io32, 'I/O limit bits 31:16'),
    r('PCI_CAPABILITY_LIST', PCI_CAPABILITY_LIST, 4, [f('PCI_CAPABILITY_LIST', [7, 0], 'RO')]),
    romRegister('PCI_ROM_ADDRESS1', PCI_ROM_ADDRESS1, opts),
    r('PCI_INTERRUPT_LINE', PCI_INTERRUPT_LINE, 1, [f('PCI_INTERRUPT_LINE', [7, 0], 'RW')]),
    r('PCI_INTERRUPT_PIN', PCI_INTERRUPT_PIN, 1, [f('PCI_INTERRUPT_PIN', [7, 0], 'RO')]),
    r('PCI_BRIDGE_CONTROL', PCI_BRIDGE_CONTROL, 2, [
      f('PCI_BRIDGE_CTL_PARITY', 0, 'RW'),
      f('PCI_BRIDGE_CTL_SERR', 1, 'RW'),
      f('PCI_BRIDGE_CTL_ISA', 2, 'RW'),
      f('PCI_BRIDGE_CTL_VGA', 3, 'RW'),
      f('PCI_BRIDGE_CTL_VGA_16BIT', 4, 'RW', { doc: 'VGA 16-bit decode (bridge r1.2 ECN)' }),
      f('PCI_BRIDGE_CTL_MASTER_ABORT', 5, 'RO', { doc: 'hardwired 0 on PCIe (r6.0 7.5.1.3.13)' }),
      f('PCI_BRIDGE_CTL_BUS_RESET', 6, 'RW', { doc: 'Secondary Bus Reset: a 0->1 write resets the hierarchy below (hook point)' }),
      f('PCI_BRIDGE_CTL_FAST_BACK', 7, 'RO', { doc: 'hardwired 0 on PCIe' }),
      f('PCI_BRIDGE_CTL_PRI_DISCARD', 8, 'RO', { doc: 'discard timers: hardwired 0 on PCIe' }),
      f('PCI_BRIDGE_CTL_SEC_DISCARD', 9, 'RO'),
      f('PCI_BRIDGE_CTL_DISCARD_STATUS', 10, 'RO'),
      f('PCI_BRIDGE_CTL_DISCARD_SERR', 11, 'RO'),
    ]),
  ];
}

function type2Registers(opts: HeaderOptions): RegisterDef[] {
  return [
    ...barRegisters(1, opts),
    r('PCI_CB_CAPABILITY_LIST', PCI_CB_CAPABILITY_LIST, 1, [f('PCI_CB_CAPABILITY_LIST', [7, 0], 'RO')]),
    r('PCI_CB_SEC_STATUS', PCI_CB_SEC_STATUS, 2, secondaryStatusFields('PCI_CB_SEC_STATUS')),
  ];
}

/**
 * Register table of the header for `headerType` (PCI_HEADER_TYPE & 0x7f). An undefined header type
 * (3..127, a malformed dump) gets only the 16 common bytes: guest-visible behaviour never throws.
 */
export function headerRegisters(headerType: number, opts: HeaderOptions = {}): RegisterDef[] {
  const common = commonRegisters();
  switch (headerType & PCI_HEADER_TYPE_MASK) {
    case PCI_HEADER_TYPE_NORMAL: return [...common, ...type0Registers(opts)];
    case PCI_HEADER_TYPE_BRIDGE: return [...common, ...type1Registers(opts)];
    case PCI_HEADER_TYPE_CARDBUS: return [...common, ...type2Registers(opts)];
    default: return common;
  }
}

