/**
 * The MSI-X table and Pending Bit Array, modelled in the BAR memory they live in
 * (PCI Local Bus r3.0 6.8.2.6-6.8.2.10; PCIe r6.0 7.7.2.5-7.7.2.7).
 *
 *   table entry n at BAR[tableBir] + tableOffset + 16*n:
 *     +0x0 PCI_MSIX_ENTRY_LOWER_ADDR   +0x4 PCI_MSIX_ENTRY_UPPER_ADDR
 *     +0x8 PCI_MSIX_ENTRY_DATA         +0xc PCI_MSIX_ENTRY_VECTOR_CTRL (bit 0 MASKBIT)
 *   PBA at BAR[pbaBir] + pbaOffset: one bit per entry, in qwords; read-only, set by the function.
 *
 * The bytes are the only state: each region is a ConfigSpace (bytes + compiled masks), so table
 * writes go through the same one write path as configuration space, and masked/pending/entry
 * values are always decoded from the bytes. Accesses outside the table and PBA reach device
 * registers lusim does not model: reads return all-ones and writes are dropped, never a throw.
 *
 * Reset: the Mask bit of every entry is 1 (masked) after reset (r3.0 6.8.2.9); addresses and data
 * are zeroed and the PBA cleared, as QEMU 7.2 msix_reset does (hw/pci/msix.c; qemu.md section 2.2). Linux's pci_restore_msi_state rewrites entries and vector
 * control from msi_desc without checking Command.MEM (linux-pci.md section 4).
 */
import type { BarAccess, ConfigAccess } from './access.js';
import { compileLayout, type CompiledLayout } from './compile.js';
import { ConfigSpace } from './config-space.js';
import { DeviceError } from './errors.js';
import { f, r, type RegisterDef } from './registers.js';
import {
  PCI_MSIX_ENTRY_CTRL_MASKBIT, PCI_MSIX_ENTRY_DATA, PCI_MSIX_ENTRY_LOWER_ADDR, PCI_MSIX_ENTRY_SIZE,
  PCI_MSIX_ENTRY_UPPER_ADDR, PCI_MSIX_ENTRY_VECTOR_CTRL, PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_QSIZE, PCI_MSIX_PBA,
  PCI_MSIX_PBA_BIR, PCI_MSIX_PBA_OFFSET, PCI_MSIX_TABLE, PCI_MSIX_TABLE_BIR, PCI_MSIX_TABLE_OFFSET,
} from './pci-regs.js';

/** Where the table and PBA are, decoded from the MSI-X capability's three registers. */
export interface MsixGeometry {
  readonly entries: number;
  readonly tableBir: number;
  readonly tableOffset: number;
  readonly pbaBir: number;
  readonly pbaOffset: number;
}

export interface MsixEntry {
  readonly lowerAddr: number;
  readonly upperAddr: number;
  readonly data: number;
  readonly vectorCtrl: number;
}

export function msixGeometry(flags: number, table: number, pba: number): MsixGeometry {
  return {
    entries: (flags & PCI_MSIX_FLAGS_QSIZE) + 1,
    tableBir: table & PCI_MSIX_TABLE_BIR,
    tableOffset: (table & PCI_MSIX_TABLE_OFFSET) >>> 0,
    pbaBir: pba & PCI_MSIX_PBA_BIR,
    pbaOffset: (pba & PCI_MSIX_PBA_OFFSET) >>> 0,
  };
}

/** Read the geometry from a function's MSI-X capability at `cap` through any backend. */
export async function readMsixGeometry(config: ConfigAccess, cap: number): Promise<MsixGeometry> {
  return msixGeometry(
    await config.readw(cap + PCI_MSIX_FLAGS),
    await config.readl(cap + PCI_MSIX_TABLE),
    await config.readl(cap + PCI_MSIX_PBA),
  );
}

/** Bytes of the PBA: one bit per entry, rounded up to whole qwords (r3.0 6.8.2.10). */
export function pbaBytes(entries: number): number {
  return Math.ceil(entries / 64) * 8;
}

function tableRegisters(entries: number): RegisterDef[] {
  const regs: RegisterDef[] = [];
  for (let n = 0; n < entries; n++) {
    const at = n * PCI_MSIX_ENTRY_SIZE;
    regs.push(
      r('PCI_MSIX_ENTRY_LOWER_ADDR', at + PCI_MSIX_ENTRY_LOWER_ADDR, 4, [f('PCI_MSIX_ENTRY_LOWER_ADDR', [31, 0], 'RW')]),
      r('PCI_MSIX_ENTRY_UPPER_ADDR', at + PCI_MSIX_ENTRY_UPPER_ADDR, 4, [f('PCI_MSIX_ENTRY_UPPER_ADDR', [31, 0], 'RW')]),
      r('PCI_MSIX_ENTRY_DATA', at + PCI_MSIX_ENTRY_DATA, 4, [f('PCI_MSIX_ENTRY_DATA', [31, 0], 'RW')]),
      r('PCI_MSIX_ENTRY_VECTOR_CTRL', at + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, [f('PCI_MSIX_ENTRY_CTRL_MASKBIT', 0, 'RW', { reset: 1 })]),
    );
  }
  return regs;
}

function pbaRegisters(entries: number): RegisterDef[] {
  const regs: RegisterDef[] = [];
  for (let at = 0; at < pbaBytes(entries); at += 4) {
    const bits = Math.min(32, entries - at * 8);
    regs.push(r('PCI_MSIX_PBA_BITS', at, 4, bits > 0 ? [f('PCI_MSIX_PBA_PENDING', [bits - 1, 0], 'RO', { volatile: true })] : []));
  }
  return regs;
}

/**
 * The compiled table and PBA layouts for a table size: they depend on the entry count alone and a
 * ConfigSpace never writes its layout, so each is compiled once (a fuzzed cycle models a new
 * MSI-X function every case; compiling a 64-entry table's 13 masks was a tenth of what a case
 * allocated). Bounded: past MAX_CACHED sizes the oldest is dropped.
 */
const layoutCache = new Map<number, { readonly table: CompiledLayout; readonly pba: CompiledLayout }>();
const MAX_CACHED = 64;

function regionLayouts(entries: number): { readonly table: CompiledLayout; readonly pba: CompiledLayout } {
  let hit = layoutCache.get(entries);
  if (!hit) {
    if (layoutCache.size >= MAX_CACHED) layoutCache.delete(layoutCache.keys().next().value!);
    hit = { table: compileLayout(entries * PCI_MSIX_ENTRY_SIZE, tableRegisters(entries)), pba: compileLayout(pbaBytes(entries), pbaRegisters(entries)) };
    layoutCache.set(entries, hit);
  }
  return hit;
}

interface Region {
  readonly bar: number;
  readonly start: number;
  readonly space: ConfigSpace;
}

export class MsixBarModel implements BarAccess {
  readonly table: ConfigSpace;
  readonly pba: ConfigSpace;
  private readonly regions: readonly Region[];

  /** Starts in the reset state unless `tableBytes`/`pbaBytes` (e.g. from a snapshot) are given. */
  constructor(readonly geometry: MsixGeometry, init: { tableBytes?: Uint8Array; pbaBytes?: Uint8Array } = {}) {
    const { entries, tableBir, tableOffset, pbaBir, pbaOffset } = geometry;
    if (entries < 1 || entries > 2048) {
      throw new DeviceError('bad-offset', `MSI-X table size ${entries} is outside 1..2048`, { entries });
    }
    const tableSize = entries * PCI_MSIX_ENTRY_SIZE;
    const pbaSize = pbaBytes(entries);
    if (tableBir === pbaBir && tableOffset < pbaOffset + pbaSize && pbaOffset < tableOffset + tableSize) {
      throw new DeviceError('bad-offset', `MSI-X table (BAR${tableBir}+0x${tableOffset.toString(16)}, ${tableSize} bytes) overlaps its PBA (+0x${pbaOffset.toString(16)}, ${pbaSize} bytes); check PCI_MSIX_TABLE and PCI_MSIX_PBA`, { tableBir, tableOffset, pbaOffset });
    }
    const { table: tableLayout, pba: pbaLayout } = regionLayouts(entries);
    this.table = new ConfigSpace(regionBytes('table', tableSize, init.tableBytes) ?? tableLayout.masks.resetValue.slice(), tableLayout);
    this.pba = new ConfigSpace(regionBytes('PBA', pbaSize, init.pbaBytes) ?? new Uint8Array(pbaSize), pbaLayout);
    this.regions = [
      { bar: tableBir, start: tableOffset, space: this.table },
      { bar: pbaBir, start: pbaOffset, space: this.pba },
    ];
  }

  private locate(bar: number, offset: number): { space: ConfigSpace; rel: number } | undefined {
    for (const reg of this.regions) {
      const rel = offset - reg.start;
      if (reg.bar === bar && rel >= 0 && rel + 4 <= reg.space.size && rel % 4 === 0) return { space: reg.space, rel };
    }
    return undefined;
  }

  async readl(bar: number, offset: number): Promise<number> {
    const at = this.locate(bar, offset);
    return at ? at.space.read(at.rel, 4) : 0xffffffff;
  }

  async writel(bar: number, offset: number, value: number): Promise<void> {
    const at = this.locate(bar, offset);
    if (at) at.space.write(at.rel, 4, value);
  }

  entry(n: number): MsixEntry {
    const at = this.entryOffset(n);
    return {
      lowerAddr: this.table.read(at + PCI_MSIX_ENTRY_LOWER_ADDR, 4),
      upperAddr: this.table.read(at + PCI_MSIX_ENTRY_UPPER_ADDR, 4),
      data: this.table.read(at + PCI_MSIX_ENTRY_DATA, 4),
      vectorCtrl: this.table.read(at + PCI_MSIX_ENTRY_VECTOR_CTRL, 4),
    };
  }

  /** Software write of a whole entry through the masks: address, data, then vector control. */
  writeEntry(n: number, e: MsixEntry): void {
    const at = this.entryOffset(n);
    this.table.write(at + PCI_MSIX_ENTRY_LOWER_ADDR, 4, e.lowerAddr);
    this.table.write(at + PCI_MSIX_ENTRY_UPPER_ADDR, 4, e.upperAddr);
    this.table.write(at + PCI_MSIX_ENTRY_DATA, 4, e.data);
    this.table.write(at + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, e.vectorCtrl);
  }

  masked(n: number): boolean {
    return (this.entry(n).vectorCtrl & PCI_MSIX_ENTRY_CTRL_MASKBIT) !== 0;
  }

  pending(n: number): boolean {
    this.entryOffset(n);
    return ((this.pba.bytes[n >> 3] >> (n & 7)) & 1) === 1;
  }

  /** Hardware side: the function sets or clears a pending bit (bypasses the read-only mask). */
  setPending(n: number, on: boolean): void {
    this.entryOffset(n);
    const byte = this.pba.bytes[n >> 3];
    this.pba.poke(n >> 3, 1, on ? byte | (1 << (n & 7)) : byte & ~(1 << (n & 7)));
  }

  /** Function reset: every entry masked, addresses and data zero, nothing pending. */
  reset(): void {
    this.table.bytes.set(this.table.layout.masks.resetValue);
    this.pba.bytes.fill(0);
  }

  private entryOffset(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n >= this.geometry.entries) {
      throw new DeviceError('bad-offset', `MSI-X entry ${n} does not exist: the table has ${this.geometry.entries} entries (0..${this.geometry.entries - 1})`, { entry: n, entries: this.geometry.entries });
    }
    return n * PCI_MSIX_ENTRY_SIZE;
  }
}

function regionBytes(what: string, size: number, given: Uint8Array | undefined): Uint8Array | undefined {
  if (given === undefined) return undefined;
  if (given.length !== size) {
    throw new DeviceError('dump-size', `MSI-X ${what} snapshot has ${given.length} bytes; the capability says ${size}`, { expected: size, actual: given.length });
  }
  return given.slice();
}
