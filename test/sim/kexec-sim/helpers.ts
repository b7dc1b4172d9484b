/** Modelled functions for the kexec-sim tests: QEMU fixtures (fixtures/qemu/*.lspci) and a synthetic endpoint. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FunctionAccess } from '../../../devices/access.js';
import { buildFunction, type PciFunction } from '../../../devices/device.js';
import { parseLspci } from '../../../devices/dump/lspci.js';
import { parseBdf } from '../../../devices/dump/bdf.js';
import { MsixBarModel, readMsixGeometry } from '../../../devices/msix-table.js';
import { profileForDump } from '../../../devices/profiles/index.js';

export interface Modelled {
  readonly fn: PciFunction;
  readonly fa: FunctionAccess;
  readonly msixCap: number;
  readonly msiCap: number;
  readonly pcieCap: number;
  readonly aerCap: number;
}

async function model(fn: PciFunction): Promise<Modelled> {
  const config = fn.space.access();
  const at = (id: number, ext = false) => fn.walk.capabilities.find((c) => c.id === id && c.extended === ext)?.offset ?? 0;
  const msixCap = at(0x11);
  const bars = msixCap ? new MsixBarModel(await readMsixGeometry(config, msixCap)) : undefined;
  return { fn, fa: bars ? { config, bars } : { config }, msixCap, msiCap: at(0x05), pcieCap: at(0x10), aerCap: at(0x01, true) };
}

/** A QEMU 7.2 device as the hermetic qtest harness dumped it, with its QEMU profile (auto). */
export function qemuFixture(name: string, edit: (b: Uint8Array) => void = () => {}): Promise<Modelled> {
  const path = fileURLToPath(new URL(`../../../fixtures/qemu/${name}.lspci`, import.meta.url));
  const dump = parseLspci(readFileSync(path, 'latin1'))[0];
  edit(dump.bytes);
  return model(buildFunction(dump, profileForDump(dump, 'auto')));
}

export const SYN = { PM: 0x40, MSI: 0x50, PCIE: 0x70, AER: 0x100, ACS: 0x140, LTR: 0x180 } as const;

/**
 * A spec-behaving PCIe v2 endpoint: PM (PME from D0..D3cold) at 0x40, MSI (64-bit, per-vector
 * masking) at 0x50, PCIe at 0x70 (MPSS 256, Extended Tags, LTR, ASPM L1; DEVCTL MPS 256),
 * AER at 0x100, ACS (SV|TB|RR|CR|UF) at 0x140, LTR at 0x180.
 */
export function syntheticEndpoint(edit: (b: Uint8Array) => void = () => {}): Promise<Modelled> {
  const b = new Uint8Array(4096);
  const w16 = (o: number, v: number) => { b[o] = v & 0xff; b[o + 1] = (v >> 8) & 0xff; };
  const w32 = (o: number, v: number) => { w16(o, v & 0xffff); w16(o + 2, v >>> 16); };
  w32(0x00, 0x12348086);
  w16(0x06, 0x0010); // PCI_STATUS_CAP_LIST
  w32(0x08, 0x02000000);
  b[0x34] = SYN.PM;
  b[0x3d] = 1; // INTA
  w16(SYN.PM, 0x5001); w16(SYN.PM + 2, 0xf803); // PMC: PME from all states, version 3
  w16(SYN.MSI, 0x7005); w16(SYN.MSI + 2, 0x0180); // 64-bit, per-vector mask
  w16(SYN.PCIE, 0x0010); w16(SYN.PCIE + 2, 0x0002); // v2 endpoint
  w32(SYN.PCIE + 0x04, 0x00008021); // DEVCAP: RBER | EXT_TAG | MPSS 256
  w16(SYN.PCIE + 0x08, 0x2830); // DEVCTL: MRRS 512, NOSNOOP, MPS 256, RELAX
  w32(SYN.PCIE + 0x0c, 0x00000811); // LNKCAP: ASPM L1, x1, 2.5GT/s
  w32(SYN.PCIE + 0x24, 0x00000800); // DEVCAP2: LTR
  w32(SYN.AER, 0x14010001);
  w32(SYN.ACS, 0x1801000d); w16(SYN.ACS + 4, 0x001f);
  w32(SYN.LTR, 0x00010018);
  edit(b);
  return model(buildFunction({ bdf: parseBdf('01:00.0'), bytes: b }));
}

export const steps = (log: { writes: readonly { fn: string }[] }): string[] => log.writes.map((w) => w.fn);
