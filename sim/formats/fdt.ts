/**
 * Minimal flattened device tree (DTB version 17) writer and reader, the container KHO hands over
 * (kernel/kexec_handover.c builds its tree with libfdt; LUO's sub-trees: linux-pci.md 9.4).
 * Layout per the Devicetree Specification v0.4 chapter 5 (libfdt fdt.h), all integers big-endian:
 *
 *   0x00  header: magic 0xd00dfeed, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap,
 *         version (17), last_comp_version (16), boot_cpuid_phys, size_dt_strings, size_dt_struct
 *   0x28  memory reservation block: { u64 address; u64 size } pairs, 8-aligned, ended by 0/0
 *         structure block: 4-aligned tokens FDT_BEGIN_NODE name\0 (padded), FDT_PROP { u32 len;
 *         u32 nameoff; value (padded) }, FDT_END_NODE, FDT_NOP, then one FDT_END
 *         strings block: NUL-terminated property names, referenced by nameoff
 *
 * The reader checks every offset before reading it and throws only SimError (fdt-*).
 */
import { SimError } from '../errors.js';
import type { SimErrorCode } from '../errors.js';

export const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 0x1;
const FDT_END_NODE = 0x2;
const FDT_PROP = 0x3;
const FDT_NOP = 0x4;
const FDT_END = 0x9;
const HEADER_BYTES = 40;
const VERSION = 17;
const LAST_COMP_VERSION = 16;

export interface FdtProperty {
  readonly name: string;
  readonly value: Uint8Array;
}

export interface FdtNode {
  /** "" for the root; otherwise node-name[@unit-address]. */
  readonly name: string;
  readonly properties: readonly FdtProperty[];
  readonly children: readonly FdtNode[];
}

export interface FdtReservation {
  readonly address: bigint;
  readonly size: bigint;
}

export interface Fdt {
  readonly root: FdtNode;
  readonly reservations: readonly FdtReservation[];
  readonly bootCpuidPhys: number;
}

/**
 * Names and the strings lusim stores are printable ASCII (DT spec 2.2.1 allows only a subset of
 * it in names); sim/ has no TextEncoder (no DOM or Node types), and nothing here needs more.
 */
const isPrintable = (c: number) => c >= 0x20 && c <= 0x7e;

function asciiDecode(b: Uint8Array): string | undefined {
  if (!b.every(isPrintable)) return undefined;
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/** A string property value: the bytes plus the terminating NUL (DT spec 2.2.4 <string>). */
export function fdtString(s: string): Uint8Array {
  const out = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isPrintable(c)) throw new SimError('invalid-input', `device-tree string "${s}" has a non-printable-ASCII character at ${i}`, { string: s, index: i });
    out[i] = c;
  }
  return out;
}

/** A single <u32> cell. */
export function fdtU32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

/** Decodes a one-string property value; undefined if it is not exactly one NUL-terminated string. */
export function fdtStringValue(value: Uint8Array): string | undefined {
  if (value.length === 0 || value[value.length - 1] !== 0) return undefined;
  return asciiDecode(value.subarray(0, value.length - 1));
}

const pad4 = (n: number) => (n + 3) & ~3;

export function writeFdt(root: FdtNode, reservations: readonly FdtReservation[] = [], bootCpuidPhys = 0): Uint8Array {
  if (root.name !== '') throw new SimError('invalid-input', `the root node must be unnamed, got "${root.name}"`, { name: root.name });
  const strings: number[] = [];
  const nameOff = new Map<string, number>();
  const parts: Uint8Array[] = [];
  let structSize = 0;
  const u32 = (n: number) => {
    parts.push(fdtU32(n));
    structSize += 4;
  };
  const bytes = (b: Uint8Array) => {
    parts.push(b, new Uint8Array(pad4(b.length) - b.length));
    structSize += pad4(b.length);
  };
  const emit = (node: FdtNode, isRoot: boolean) => {
    checkName(node.name, isRoot, 'node');
    u32(FDT_BEGIN_NODE);
    bytes(fdtString(node.name));
    const seen = new Set<string>();
    for (const p of node.properties) {
      checkName(p.name, false, 'property');
      if (seen.has(p.name)) throw new SimError('invalid-input', `node "${node.name}" has property "${p.name}" twice`, { node: node.name, property: p.name });
      seen.add(p.name);
      let off = nameOff.get(p.name);
      if (off === undefined) {
        off = strings.length;
        nameOff.set(p.name, off);
        strings.push(...fdtString(p.name));
      }
      u32(FDT_PROP);
      u32(p.value.length);
      u32(off);
      bytes(p.value);
    }
    const names = new Set<string>();
    for (const c of node.children) {
      if (names.has(c.name)) throw new SimError('invalid-input', `node "${node.name}" has two children named "${c.name}"`, { node: node.name, child: c.name });
      names.add(c.name);
      emit(c, false);
    }
    u32(FDT_END_NODE);
  };
  emit(root, true);
  u32(FDT_END);

  const rsvAt = HEADER_BYTES; // 40 is 8-aligned
  const structAt = rsvAt + 16 * (reservations.length + 1);
  const stringsAt = structAt + structSize;
  const total = stringsAt + strings.length;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  [FDT_MAGIC, total, structAt, stringsAt, rsvAt, VERSION, LAST_COMP_VERSION, bootCpuidPhys, strings.length, structSize].forEach((n, i) =>
    v.setUint32(i * 4, n),
  );
  reservations.forEach((r, i) => {
    v.setBigUint64(rsvAt + 16 * i, r.address);
    v.setBigUint64(rsvAt + 16 * i + 8, r.size);
  });
  let at = structAt;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  out.set(strings, stringsAt);
  return out;
}

function checkName(name: string, isRoot: boolean, what: string): void {
  if (isRoot) return;
  if (name.length === 0 || name.includes('\0') || name.includes('/')) {
    throw new SimError('invalid-input', `${what} name "${name}" must be non-empty and contain no NUL or '/'`, { name });
  }
}

function fail(code: SimErrorCode, message: string, details: Record<string, unknown> = {}): never {
  throw new SimError(code, `device tree: ${message}`, details);
}

/** The header's totalsize, for callers reading a DTB out of a larger memory range. */
export function fdtTotalSize(bytes: Uint8Array): number {
  if (bytes.length < 8) fail('fdt-truncated', `${bytes.length} bytes cannot hold a DTB header`, { length: bytes.length });
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint32(0);
  if (magic !== FDT_MAGIC) fail('fdt-bad-magic', `magic is 0x${magic.toString(16)}, expected 0xd00dfeed: this is not a flattened device tree`, { magic });
  return v.getUint32(4);
}

export function readFdt(bytes: Uint8Array): Fdt {
  const total = fdtTotalSize(bytes);
  if (bytes.length < HEADER_BYTES) fail('fdt-truncated', `${bytes.length} bytes cannot hold the 40-byte header`, { length: bytes.length });
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [, , structAt, stringsAt, rsvAt, version, lastComp, bootCpuidPhys, stringsSize, structSize] = Array.from({ length: 10 }, (_, i) => v.getUint32(i * 4));
  if (version < VERSION || lastComp > VERSION) {
    fail('fdt-unsupported-version', `version ${version} (compatible down to ${lastComp}); this reader handles version 17`, { version, lastComp });
  }
  if (total < HEADER_BYTES) fail('fdt-corrupt', `totalsize ${total} is smaller than the header`, { totalsize: total });
  if (bytes.length < total) fail('fdt-truncated', `totalsize is ${total} but only ${bytes.length} bytes were given`, { totalsize: total, length: bytes.length });
  if (bytes.length > total) {
    fail('fdt-oversized', `${bytes.length - total} bytes follow the ${total}-byte tree; pass exactly totalsize bytes (fdtTotalSize)`, { totalsize: total, length: bytes.length });
  }
  if (rsvAt % 8 !== 0) fail('fdt-misaligned', `memory reservation block at ${rsvAt} is not 8-byte aligned`, { offset: rsvAt });
  if (structAt % 4 !== 0) fail('fdt-misaligned', `structure block at ${structAt} is not 4-byte aligned`, { offset: structAt });
  if (structSize % 4 !== 0) fail('fdt-misaligned', `structure block size ${structSize} is not a multiple of 4`, { size: structSize });
  for (const [what, at, size] of [
    ['memory reservation block', rsvAt, 16],
    ['structure block', structAt, structSize],
    ['strings block', stringsAt, stringsSize],
  ] as const) {
    if (at < HEADER_BYTES || at + size > total) fail('fdt-corrupt', `${what} [${at}, ${at + size}) lies outside [40, ${total})`, { block: what, offset: at, size });
  }

  const reservations: FdtReservation[] = [];
  for (let at = rsvAt; ; at += 16) {
    if (at + 16 > total) fail('fdt-truncated', 'memory reservation block has no terminating entry', { offset: at });
    const address = v.getBigUint64(at);
    const size = v.getBigUint64(at + 8);
    if (address === 0n && size === 0n) break;
    reservations.push({ address, size });
  }

  const structEnd = structAt + structSize;
  const word = (at: number): number => {
    if (at + 4 > structEnd) fail('fdt-truncated', `structure block ends inside the token at ${at}`, { offset: at });
    return v.getUint32(at);
  };
  const cstring = (from: number, end: number, what: string): [string, number] => {
    const nul = bytes.subarray(from, end).indexOf(0);
    if (nul < 0) fail('fdt-corrupt', `${what} at ${from} has no terminating NUL`, { offset: from });
    const text = asciiDecode(bytes.subarray(from, from + nul));
    if (text === undefined) fail('fdt-corrupt', `${what} at ${from} is not printable ASCII`, { offset: from });
    return [text, from + nul + 1];
  };

  interface Building {
    name: string;
    properties: FdtProperty[];
    children: FdtNode[];
    propNames: Set<string>;
    childNames: Set<string>;
  }
  const stack: Building[] = [];
  let root: FdtNode | undefined;
  let at = structAt;
  for (;;) {
    const token = word(at);
    at += 4;
    if (token === FDT_NOP) continue;
    if (token === FDT_BEGIN_NODE) {
      const [name, next] = cstring(at, structEnd, 'node name');
      if (stack.length === 0 && (root !== undefined || name !== '')) fail('fdt-corrupt', `a second or named top-level node "${name}" at ${at - 4}`, { offset: at - 4 });
      if (stack.length > 0 && name === '') fail('fdt-corrupt', `unnamed child node at ${at - 4}`, { offset: at - 4 });
      const parent = stack[stack.length - 1];
      if (parent?.childNames.has(name)) fail('fdt-corrupt', `node "${parent.name}" has two children named "${name}"`, { offset: at - 4 });
      parent?.childNames.add(name);
      stack.push({ name, properties: [], children: [], propNames: new Set(), childNames: new Set() });
      at = pad4(next);
    } else if (token === FDT_PROP) {
      const node = stack[stack.length - 1];
      if (!node) fail('fdt-corrupt', `property outside any node at ${at - 4}`, { offset: at - 4 });
      const len = word(at);
      const nameoff = word(at + 4);
      at += 8;
      if (len > structEnd - at) fail('fdt-truncated', `property value of ${len} bytes at ${at} runs past the structure block`, { offset: at, len });
      if (nameoff >= stringsSize) fail('fdt-corrupt', `property name offset ${nameoff} is outside the ${stringsSize}-byte strings block`, { offset: at - 4, nameoff });
      const [name] = cstring(stringsAt + nameoff, stringsAt + stringsSize, 'property name');
      if (name === '') fail('fdt-corrupt', `empty property name at strings offset ${nameoff}`, { nameoff });
      if (node.propNames.has(name)) fail('fdt-corrupt', `node "${node.name}" has property "${name}" twice`, { offset: at - 12 });
      node.propNames.add(name);
      node.properties.push({ name, value: bytes.slice(at, at + len) });
      at = pad4(at + len);
    } else if (token === FDT_END_NODE) {
      const done = stack.pop();
      if (!done) fail('fdt-corrupt', `FDT_END_NODE without an open node at ${at - 4}`, { offset: at - 4 });
      const node: FdtNode = { name: done.name, properties: done.properties, children: done.children };
      if (stack.length === 0) root = node;
      else stack[stack.length - 1].children.push(node);
    } else if (token === FDT_END) {
      if (stack.length > 0) fail('fdt-corrupt', `FDT_END at ${at - 4} with ${stack.length} node(s) still open`, { offset: at - 4 });
      if (!root) fail('fdt-corrupt', 'the structure block has no root node', {});
      if (at !== structEnd) fail('fdt-corrupt', `${structEnd - at} bytes follow FDT_END in the structure block`, { offset: at });
      return { root, reservations, bootCpuidPhys };
    } else {
      fail('fdt-corrupt', `unknown token 0x${token.toString(16)} at ${at - 4}`, { offset: at - 4, token });
    }
  }
}
