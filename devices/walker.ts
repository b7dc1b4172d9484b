/**
 * Defensive capability walker (pciutils lib/caps.c style, with Linux's rules from
 * drivers/pci/pci.c __pci_find_next_cap_ttl and pci_find_next_ext_capability).
 *
 * A malformed chain never hangs or throws: each problem becomes a typed WalkFinding, and the walk
 * follows what Linux would do (so the model sees the same capabilities the kernel would find):
 *  - standard chain: at most 48 hops (PCI_FIND_CAP_TTL); a pointer below 0x40 ends the walk;
 *    the pointer is aligned down (pos &= ~3); ID 0xff ends the walk.
 *  - extended chain: header 0 means none; at most (4096-256)/8 hops; next < 0x100 ends the walk;
 *    PCI_EXT_CAP_NEXT masks the pointer with 0xffc.
 * lusim additionally reports loops, overlaps and truncation. Findings take Linux's view: the
 * config-space size is what Linux gives the function (cfg-size.ts, probe.c pci_cfg_space_size),
 * so a conventional function's all-ones or aliased extended space is not walked and not an error.
 *
 * Bytes the dump never captured (DumpDevice.known) are unknown: the walk says once that the dump
 * is partial, names missing rows, and says which capabilities it cannot see, instead of reading
 * the 0xff padding as a broken chain.
 */
import type { CapabilityDef, CapReader } from './capability.js';
import { capabilityDef } from './caps/index.js';
import { PCI_EXT_CAP_TTL, PCI_FIND_CAP_TTL } from './find-cap.js';
import { pciCfgSpaceSize, type CfgSpaceSize } from './cfg-size.js';
import { capturedPrefix, isKnown, unknownRanges } from './dump/known.js';
import type { RegisterDef } from './registers.js';
import { placeRegisters } from './registers.js';
import {
  PCI_CAPABILITY_LIST, PCI_CAP_ID_EXP, PCI_CB_CAPABILITY_LIST, PCI_CFG_SPACE_SIZE, PCI_STATUS,
  PCI_STATUS_CAP_LIST, PCI_CAP_ID_VNDR,
} from './pci-regs.js';

export type FindingCode =
  | 'absent-function'
  | 'cap-loop'
  | 'chain-broken'
  | 'pointer-into-header'
  | 'pointer-misaligned'
  | 'overlap'
  | 'truncated-capability'
  | 'ext-caps-without-pcie'
  | 'unknown-capability'
  | 'duplicate-capability'
  /** The dump holds fewer bytes than the function's config space (lspci -x / -xxx, or non-root sysfs). */
  | 'partial-capture'
  /** Rows inside the captured range are missing (lost in a paste). */
  | 'missing-bytes'
  /** A capability, or the rest of a chain, lies in bytes the dump never captured. */
  | 'not-captured';

export type Severity = 'error' | 'warning' | 'info';

export interface WalkFinding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly chain: 'header' | 'standard' | 'extended';
  /** Config-space offset the finding is about. */
  readonly offset: number;
  readonly message: string;
  /** What Linux does with this layout. */
  readonly linux: string;
}

export interface PlacedCapability {
  readonly id: number;
  readonly extended: boolean;
  readonly offset: number;
  readonly def: CapabilityDef | undefined;
  readonly key: string;
  readonly name: string;
  readonly version: number;
  readonly size: number;
  /** Absolute registers; empty when the capability overlaps an earlier one or is truncated. */
  readonly registers: readonly RegisterDef[];
  /** Set when this capability's bytes overlap an earlier one (its registers are not modelled). */
  readonly overlaps?: string;
}

export interface WalkResult {
  readonly capabilities: readonly PlacedCapability[];
  readonly findings: readonly WalkFinding[];
  /** The size Linux gives the function, and why (undefined when the header was not captured). */
  readonly cfgSize?: CfgSpaceSize;
}

/** Capabilities a function may carry several of by design: vendor-specific (PCI_CAP_ID_VNDR,
 * PCI_EXT_CAP_ID_VNDR, PCI_EXT_CAP_ID_DVSEC; virtio-pci has five VNDR capabilities) and DOE
 * mailboxes (PCI_EXT_CAP_ID_DOE: drivers/pci/doe.c pci_doe_init creates one per instance), and
 * HyperTransport (PCI_CAP_ID_HT: one capability per sub-type; pci.c pci_find_next_ht_capability
 * walks them by type). */
const MULTI_INSTANCE = new Set(['false:8', 'false:9', 'true:11', 'true:35', 'true:46']);

interface RawCap { id: number; extended: boolean; offset: number }

const hex = (n: number, w = 2) => `0x${n.toString(16).padStart(w, '0')}`;

/** How each lspci hex option reads: what a capture of this length most likely was. */
const CAPTURE_KIND: Readonly<Record<number, string>> = { 64: 'lspci -x or a non-root sysfs read', 256: 'lspci -xxx' };

export interface WalkOptions {
  /**
   * 'standard': walk only the standard chain (no extended capabilities, no findings about them),
   * for a caller that reads standard capabilities only (the reset probes). Its standard
   * capabilities and findings are the full walk's: a standard capability lies below 0x100 and an
   * extended one above, so neither chain's placement or overlap depends on the other.
   */
  readonly chains?: 'all' | 'standard';
  /**
   * false: the placed capabilities carry no register tables (`registers` is empty), for a caller
   * that reads offsets and IDs only (the reset probes). Which capabilities overlap, and every
   * finding, are still the full walk's.
   */
  readonly registers?: boolean;
}

/**
 * `known` marks the captured bytes (dump/known.ts capturedMask); by default every byte of `bytes`.
 */
export function walkCapabilities(bytes: Uint8Array, known: Uint8Array = fullMask(bytes.length), opts: WalkOptions = {}): WalkResult {
  const findings: WalkFinding[] = [];
  // Absolute reads; past the end of the dump they read 0xff, as config reads of absent bytes do.
  const { readb: rb, readw: rw, readl: rl } = capReader(bytes, 0, undefined, 0);

  if (!isKnown(known, 0, 64)) {
    return { capabilities: [], findings: [{ code: 'truncated-capability', severity: 'error', chain: 'header', offset: 0, message: `only ${capturedPrefix(known)} bytes of the header captured: a config header needs 64`, linux: 'n/a' }] };
  }
  if (rw(0) === 0xffff) {
    findings.push({ code: 'absent-function', severity: 'error', chain: 'header', offset: 0, message: 'Vendor ID reads 0xffff: no function responds here', linux: 'pci_scan_device skips the function' });
    return { capabilities: [], findings };
  }
  const cfg = pciCfgSpaceSize(bytes, known);
  const size = cfg.size;
  const prefix = capturedPrefix(known);
  if (prefix < size && !hasGapsBelow(known, Math.min(size, bytes.length))) {
    const kind = CAPTURE_KIND[prefix];
    const of = cfg.kindKnown ? `of the function's ${size} config bytes` : 'config bytes (256 or 4096: the dump cannot tell)';
    findings.push({ code: 'partial-capture', severity: 'warning', chain: 'header', offset: prefix, message: `partial dump: ${prefix} ${of} captured${kind ? ` (${kind})` : ''}; bytes from ${hex(prefix, 3)} on are unknown`, linux: `${cfg.why}; capture all of it as root (lspci -xxxx, or lusim capture)` });
  }
  // (A dump captured through the function's size has no missing rows: skip the byte-by-byte scan.)
  for (const [start, end] of prefix >= Math.min(size, bytes.length) ? [] : unknownRanges(known, Math.min(size, bytes.length))) {
    findings.push({ code: 'missing-bytes', severity: 'warning', chain: 'header', offset: start, message: `bytes ${hex(start, 3)}..${hex(end - 1, 3)} are missing from the dump (a row lost in the paste?): unknown`, linux: 'n/a: these bytes exist on the device' });
  }

  const raws: RawCap[] = [];
  walkStandard(rb, rw, known, raws, findings);
  const extended = opts.chains !== 'standard';
  if (extended && size > PCI_CFG_SPACE_SIZE) {
    if (isKnown(known, PCI_CFG_SPACE_SIZE, 4)) walkExtended(rl, known, raws, findings);
    else findings.push({ code: 'not-captured', severity: 'info', chain: 'extended', offset: PCI_CFG_SPACE_SIZE, message: 'extended capabilities (0x100..0xfff) are not in the dump: lusim cannot see them', linux: cfg.why });
  } else if (extended && bytes.length > PCI_CFG_SPACE_SIZE && isKnown(known, PCI_CFG_SPACE_SIZE, 4) && rl(PCI_CFG_SPACE_SIZE) !== 0) {
    findings.push({ code: 'ext-caps-without-pcie', severity: 'info', chain: 'extended', offset: PCI_CFG_SPACE_SIZE, message: `the dump holds bytes above 0x100 (${hex(rl(PCI_CFG_SPACE_SIZE), 8)} at 0x100), which Linux never reads for this function; not walked`, linux: cfg.why });
  }

  const pcieCap = raws.find((c) => !c.extended && c.id === PCI_CAP_ID_EXP);
  const pcieType = pcieCap ? (rw(pcieCap.offset + 2) >> 4) & 0xf : undefined;
  const pcieDevcap2 = pcieCap && (rw(pcieCap.offset + 2) & 0xf) >= 2 ? rl(pcieCap.offset + 0x24) : undefined;
  const pcieLnkcap = pcieCap ? rl(pcieCap.offset + 0x0c) : undefined;
  const headerType = rb(0x0e) & 0x7f;

  const placed: PlacedCapability[] = [];
  // Each placed capability's modelled registers, built on demand when the walk keeps none.
  const modelled = new Map<PlacedCapability, () => readonly RegisterDef[]>();
  const keepRegisters = opts.registers !== false;
  const seen = new Map<string, number>();
  for (const raw of raws) {
    const reader = capReader(bytes, raw.offset, pcieType, headerType, pcieDevcap2, pcieLnkcap);
    const def = capabilityDef(raw.id, raw.extended);
    const name = def?.name ?? `${raw.extended ? 'Extended capability' : 'Capability'} ${hex(raw.id, raw.extended ? 4 : 2)}`;
    const key = def?.key ?? `${raw.extended ? 'ext' : 'cap'}-${raw.id.toString(16)}`;
    if (!def) {
      findings.push({ code: 'unknown-capability', severity: 'info', chain: raw.extended ? 'extended' : 'standard', offset: raw.offset, message: `${name} at ${hex(raw.offset, 3)} is not in lusim's catalogue`, linux: 'Linux skips capabilities it does not know' });
    }
    const dupKey = `${raw.extended}:${raw.id}`;
    if (seen.has(dupKey) && def && !MULTI_INSTANCE.has(dupKey)) {
      findings.push({ code: 'duplicate-capability', severity: 'warning', chain: raw.extended ? 'extended' : 'standard', offset: raw.offset, message: `second ${name} at ${hex(raw.offset, 3)} (first at ${hex(seen.get(dupKey)!, 3)})`, linux: 'pci_find_capability returns the first one; save/restore only ever touch the first' });
    } else {
      seen.set(dupKey, raw.offset);
    }
    const version = def ? def.version(reader) : raw.extended ? (rl(raw.offset) >>> 16) & 0xf : 0;
    let size = def ? def.size(reader) : raw.extended ? 4 : 2;
    // A standard capability lives below 0x100, an extended one below the end of config space.
    const end = raw.extended ? cfg.size : PCI_CFG_SPACE_SIZE;
    const truncated = raw.offset + size > end;
    let built: RegisterDef[] | undefined;
    const registersOf = (): RegisterDef[] => {
      if (built) return built;
      const all = def ? placeRegisters(raw.offset, def.registers(reader)) : [];
      return (built = truncated ? all.filter((reg) => reg.offset + reg.width <= end) : all);
    };
    if (truncated) {
      // A vendor-specific capability's length byte is the vendor's: Linux never interprets it.
      const vendor = !raw.extended && raw.id === PCI_CAP_ID_VNDR;
      findings.push({ code: 'truncated-capability', severity: vendor ? 'info' : 'error', chain: raw.extended ? 'extended' : 'standard', offset: raw.offset, message: `${name} at ${hex(raw.offset, 3)} ${vendor ? 'says it is' : 'needs'} ${size} bytes but ${raw.extended ? 'config space' : 'the standard capability area'} ends at ${hex(end, 3)}`, linux: vendor ? 'Linux does not interpret a vendor-specific capability\'s length byte' : 'reads past the end of config space return 0xffffffff' });
      size = end - raw.offset;
    }
    if (!isKnown(known, raw.offset, size)) {
      const lost = registersOf().filter((reg) => !isKnown(known, reg.offset, reg.width)).length;
      findings.push({ code: 'not-captured', severity: 'info', chain: raw.extended ? 'extended' : 'standard', offset: raw.offset, message: `${name} at ${hex(raw.offset, 3)} is only partly in the dump: ${lost} of its ${registersOf().length} registers are unknown`, linux: 'n/a: the bytes exist on the device' });
    }
    // Only an earlier capability with registers clashes (one that overlaps or has none does not).
    const clash = placed.find((p) => raw.offset < p.offset + p.size && p.offset < raw.offset + size && modelled.get(p)!().length > 0);
    if (clash) {
      findings.push({ code: 'overlap', severity: 'error', chain: raw.extended ? 'extended' : 'standard', offset: raw.offset, message: `${name} at ${hex(raw.offset, 3)} (${size} bytes) overlaps ${clash.name} at ${hex(clash.offset, 3)} (${clash.size} bytes)`, linux: 'Linux accesses both through the same bytes; writes to one change the other' });
      const p: PlacedCapability = { id: raw.id, extended: raw.extended, offset: raw.offset, def, key, name, version, size, registers: [], overlaps: clash.key };
      modelled.set(p, () => p.registers);
      placed.push(p);
      continue;
    }
    const p: PlacedCapability = { id: raw.id, extended: raw.extended, offset: raw.offset, def, key, name, version, size, registers: keepRegisters ? registersOf() : [] };
    modelled.set(p, registersOf);
    placed.push(p);
  }
  return { capabilities: placed, findings, cfgSize: cfg };
}

function fullMask(n: number): Uint8Array {
  return new Uint8Array(n).fill(1);
}

function hasGapsBelow(known: Uint8Array, n: number): boolean {
  const prefix = capturedPrefix(known);
  for (let i = prefix; i < n; i++) if (known[i] === 1) return true;
  return false;
}

function walkStandard(
  rb: (o: number) => number,
  rw: (o: number) => number,
  known: Uint8Array,
  out: RawCap[],
  findings: WalkFinding[],
): void {
  if ((rw(PCI_STATUS) & PCI_STATUS_CAP_LIST) === 0) return;
  const headerType = rb(0x0e) & 0x7f;
  const ptrAt = headerType === 2 ? PCI_CB_CAPABILITY_LIST : PCI_CAPABILITY_LIST;
  let pos = rb(ptrAt);
  let from = ptrAt;
  const visited = new Set<number>();
  for (let ttl = PCI_FIND_CAP_TTL; ttl > 0; ttl--) {
    if (pos === 0) return;
    if (pos < 0x40) {
      findings.push({ code: 'pointer-into-header', severity: 'error', chain: 'standard', offset: from, message: `capability pointer at ${hex(from)} is ${hex(pos)}, inside the 64-byte header`, linux: '__pci_find_next_cap_ttl stops the walk (pos < 0x40)' });
      return;
    }
    if (pos & 3) {
      findings.push({ code: 'pointer-misaligned', severity: 'warning', chain: 'standard', offset: from, message: `capability pointer at ${hex(from)} is ${hex(pos)}, not dword aligned`, linux: `__pci_find_next_cap_ttl aligns it down to ${hex(pos & ~3)} and continues` });
      pos &= ~3;
    }
    if (!isKnown(known, pos, 2)) {
      findings.push({ code: 'not-captured', severity: 'info', chain: 'standard', offset: pos, message: `the capability at ${hex(pos)} (pointer at ${hex(from)}) and any after it are not in the dump: lusim cannot see them`, linux: 'n/a: the bytes exist on the device' });
      return;
    }
    if (visited.has(pos)) {
      findings.push({ code: 'cap-loop', severity: 'error', chain: 'standard', offset: from, message: `capability chain loops back to ${hex(pos)} (from ${hex(from)})`, linux: 'Linux follows the loop until its 48-hop TTL runs out' });
      return;
    }
    visited.add(pos);
    const id = rb(pos);
    if (id === 0xff) {
      findings.push({ code: 'chain-broken', severity: 'error', chain: 'standard', offset: pos, message: `capability at ${hex(pos)} reads ID 0xff: the chain is broken (all-ones)`, linux: '__pci_find_next_cap_ttl stops at ID 0xff' });
      return;
    }
    out.push({ id, extended: false, offset: pos });
    from = pos + 1;
    pos = rb(pos + 1);
  }
}

function walkExtended(
  rl: (o: number) => number,
  known: Uint8Array,
  out: RawCap[],
  findings: WalkFinding[],
): void {
  let pos = PCI_CFG_SPACE_SIZE;
  let header = rl(pos);
  if (header === 0) return;
  const visited = new Set<number>();
  let from = pos;
  for (let ttl = PCI_EXT_CAP_TTL; ttl > 0; ttl--) {
    if (header === 0xffffffff) {
      findings.push({ code: 'chain-broken', severity: 'error', chain: 'extended', offset: pos, message: `extended capability header at ${hex(pos, 3)} reads 0xffffffff: the chain is broken`, linux: 'pci_cfg_space_size treats an all-ones 0x100 as no extended space; later in the chain Linux walks ID 0xffff until the TTL' });
      return;
    }
    if (visited.has(pos)) {
      findings.push({ code: 'cap-loop', severity: 'error', chain: 'extended', offset: from, message: `extended capability chain loops back to ${hex(pos, 3)}`, linux: 'pci_find_next_ext_capability follows the loop until its 480-hop TTL runs out' });
      return;
    }
    visited.add(pos);
    const id = header & 0xffff;
    // A zero ID with a zero next pointer is the QEMU-style null header; an ID of 0 mid-chain is reserved.
    if (id !== 0) out.push({ id, extended: true, offset: pos });
    const rawNext = header >>> 20;
    if (rawNext & 3) {
      findings.push({ code: 'pointer-misaligned', severity: 'warning', chain: 'extended', offset: pos, message: `next pointer ${hex(rawNext, 3)} at ${hex(pos, 3)} has its low two bits set`, linux: `PCI_EXT_CAP_NEXT masks them: next is ${hex(rawNext & 0xffc, 3)}` });
    }
    const next = rawNext & 0xffc;
    if (next === 0) return;
    if (next < PCI_CFG_SPACE_SIZE) {
      findings.push({ code: 'pointer-into-header', severity: 'error', chain: 'extended', offset: pos, message: `next pointer at ${hex(pos, 3)} is ${hex(next, 3)}, below 0x100`, linux: 'pci_find_next_ext_capability stops the walk (pos < PCI_CFG_SPACE_SIZE)' });
      return;
    }
    if (!isKnown(known, next, 4)) {
      findings.push({ code: 'not-captured', severity: 'info', chain: 'extended', offset: next, message: `the extended capability at ${hex(next, 3)} (next pointer at ${hex(pos, 3)}) and any after it are not in the dump: lusim cannot see them`, linux: 'n/a: the bytes exist on the device' });
      return;
    }
    from = pos;
    pos = next;
    header = rl(pos);
  }
}

export function capReader(bytes: Uint8Array, offset: number, pcieType: number | undefined, headerType: number, pcieDevcap2?: number, pcieLnkcap?: number): CapReader {
  const rb = (rel: number) => {
    const o = offset + rel;
    return o >= 0 && o < bytes.length ? bytes[o] : 0xff;
  };
  const rw = (rel: number) => rb(rel) | (rb(rel + 1) << 8);
  return {
    offset,
    size: bytes.length,
    readb: rb,
    readw: rw,
    readl: (rel: number) => (rw(rel) | (rw(rel + 2) << 16)) >>> 0,
    pcieType,
    headerType,
    pcieDevcap2,
    ...(pcieLnkcap !== undefined ? { pcieLnkcap } : {}),
  };
}
