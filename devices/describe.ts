/**
 * The `inspect` data model: a function decoded register by register and field by field. This is
 * the documented --json schema (docs/inspect-json.md); keep the two in step.
 */
import type { PciFunction } from './device.js';
import { formatBdf } from './dump/bdf.js';
import { isKnown } from './dump/known.js';
import type { CaptureFacts } from './dump/types.js';
import { fieldValue, type FieldDef, type RegisterDef } from './registers.js';
import type { WalkFinding } from './walker.js';

export interface FieldView {
  readonly name: string;
  /** "hi:lo" or a single bit number, as in the spec tables. */
  readonly bits: string;
  readonly access: FieldDef['access'];
  readonly sticky: boolean;
  readonly volatile: boolean;
  readonly value: number;
}

export interface RegisterView {
  readonly name: string;
  /** Absolute offset in config space. */
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly value: number;
  readonly fields: readonly FieldView[];
  /** Set when some of the register's bytes were never captured: `value` is padding, not the device's. */
  readonly unknown?: true;
}

export interface CapabilityView {
  readonly id: number;
  readonly key: string;
  readonly name: string;
  readonly extended: boolean;
  readonly offset: number;
  readonly version: number;
  readonly size: number;
  /** Present when the capability overlaps an earlier one (its registers are then not modelled). */
  readonly overlaps?: string;
  readonly registers: readonly RegisterView[];
}

export interface FunctionView {
  readonly bdf: string;
  readonly description?: string;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly classCode: number;
  readonly revision: number;
  readonly headerType: number;
  readonly multifunction: boolean;
  /** Modelled config space size (256 or 4096). */
  readonly configSize: number;
  /** Why Linux gives the function that size (pci_cfg_space_size); says so when the dump cannot tell. */
  readonly configSizeWhy?: string;
  /** Bytes the dump held. */
  readonly captured: number;
  readonly profile: string;
  readonly header: readonly RegisterView[];
  readonly capabilities: readonly CapabilityView[];
  readonly findings: readonly WalkFinding[];
  /** What `lusim capture` read from the live system beside the bytes. */
  readonly capture?: CaptureFacts;
}

function bitsText(fd: FieldDef): string {
  return fd.hi === fd.lo ? String(fd.lo) : `${fd.hi}:${fd.lo}`;
}

export function viewRegister(fn: PciFunction, reg: RegisterDef): RegisterView {
  const value = fn.space.read(reg.offset, reg.width);
  return {
    name: reg.name,
    offset: reg.offset,
    width: reg.width,
    value,
    fields: reg.fields.map((fd) => ({
      name: fd.name,
      bits: bitsText(fd),
      access: fd.access,
      sticky: fd.sticky === true,
      volatile: fd.volatile === true,
      value: fieldValue(fd, value),
    })),
    ...(isKnown(fn.known, reg.offset, reg.width) ? {} : { unknown: true as const }),
  };
}

export function describeFunction(fn: PciFunction): FunctionView {
  const s = fn.space;
  // Registers as compiled (after profile overrides), grouped back by the capability that owns them.
  const compiled = fn.space.layout.registers;
  const inRange = (start: number, size: number) => compiled.filter((r) => r.offset >= start && r.offset < start + size);
  return {
    bdf: formatBdf(fn.bdf),
    ...(fn.description !== undefined ? { description: fn.description } : {}),
    vendorId: s.read(0x00, 2),
    deviceId: s.read(0x02, 2),
    classCode: s.read(0x08, 4) >>> 8,
    revision: s.read(0x08, 1),
    headerType: s.read(0x0e, 1) & 0x7f,
    multifunction: (s.read(0x0e, 1) & 0x80) !== 0,
    configSize: s.size,
    ...(fn.walk.cfgSize ? { configSizeWhy: fn.walk.cfgSize.why } : {}),
    captured: fn.captured,
    profile: fn.profile.name,
    header: inRange(0, 0x40).map((r) => viewRegister(fn, r)),
    capabilities: fn.walk.capabilities.map((c) => ({
      id: c.id,
      key: c.key,
      name: c.name,
      extended: c.extended,
      offset: c.offset,
      version: c.version,
      size: c.size,
      ...(c.overlaps !== undefined ? { overlaps: c.overlaps } : {}),
      registers: c.registers.length === 0 ? [] : inRange(c.offset, c.size).map((r) => viewRegister(fn, r)),
    })),
    findings: fn.walk.findings,
  };
}
