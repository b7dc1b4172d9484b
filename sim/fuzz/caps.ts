/**
 * Generators of capability shapes: for each capability the fuzzer places, the read-only bytes that
 * decide its size and register set, drawn from what the spec allows. The registry
 * (devices/caps/*.ts) derives size and registers from these bytes; nothing here restates them.
 * Only the shape is generated: the read-write registers get their values later, through the
 * model's write path (sim/fuzz/device.ts), so they respect each field's attributes.
 */
import fc from 'fast-check';
import {
  PCI_ACS_CAP, PCI_ACS_EC, PCI_ATS_CAP, PCI_CAP_VC_BASE_SIZEOF, PCI_CAP_VC_PER_VC_SIZEOF, PCI_EXP_DEVCAP,
  PCI_EXP_DEVCAP2, PCI_EXP_DEVCAP2_EE_PREFIX, PCI_EXP_DEVCAP2_LTR, PCI_EXP_DPC_CAP, PCI_EXP_DPC_CAP_RP_EXT,
  PCI_EXP_FLAGS, PCI_EXP_FLAGS_SLOT, PCI_EXP_LNKCAP, PCI_EXP_LNKCAP_ASPM_L0S, PCI_EXP_LNKCAP_ASPM_L1,
  PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_LEG_END, PCI_EXP_TYPE_PCIE_BRIDGE,
  PCI_EXP_TYPE_PCI_BRIDGE, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_RC_END, PCI_EXP_TYPE_ROOT_PORT,
  PCI_EXP_TYPE_UPSTREAM, PCI_L1SS_CAP, PCI_MSIX_FLAGS, PCI_MSIX_PBA, PCI_MSIX_TABLE, PCI_MSI_FLAGS,
  PCI_PASID_CAP, PCI_PM_PMC, PCI_PTM_CAP, PCI_REBAR_CTRL, PCI_SRIOV_INITIAL_VF, PCI_SRIOV_TOTAL_VF,
  PCI_TPH_CAP, PCI_TPH_LOC_CAP, PCI_VC_CAP2_32_PHASE, PCI_VC_PORT_CAP1, PCI_VC_PORT_CAP2,
} from '../../devices/pci-regs.js';
import type { CapSpec, Poke } from './layout.js';

/** Port types with a type 1 (bridge) header; the others have a type 0 header (PCIe r6.0 7.5.3.2). */
export const BRIDGE_TYPES: readonly number[] = [PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_PCI_BRIDGE, PCI_EXP_TYPE_PCIE_BRIDGE];
export const FUNCTION_TYPES: readonly number[] = [PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_LEG_END, PCI_EXP_TYPE_RC_END, PCI_EXP_TYPE_RC_EC];
const SLOT_TYPES: readonly number[] = [PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_DOWNSTREAM];

const gap = fc.integer({ min: 0, max: 4 });
const spec = (key: string, shape: fc.Arbitrary<readonly Poke[]>, extra: { version?: fc.Arbitrary<number>; tail?: (shape: readonly Poke[]) => number } = {}): fc.Arbitrary<CapSpec> =>
  fc.record({ gap, shape, version: extra.version ?? fc.constant(1) }).map((c) => ({ key, gap: c.gap, shape: c.shape, version: c.version, ...(extra.tail ? { tail: extra.tail(c.shape) } : {}) }));

/**
 * The PCIe capability (PCIe r6.0 7.5.3): version 1 or 2, the port type, a slot on downstream
 * ports, ASPM in LNKCAP, and DEVCAP2 with LTR and End-End TLP Prefix support (which makes AER
 * 0x48 bytes instead of 0x38: aer.ts). DEVCAP has FLR (bit 28) on endpoints.
 */
export function pcieCap(type: number): fc.Arbitrary<CapSpec> {
  return spec('pcie', fc.record({
    version: fc.constantFrom(2, 1), slot: fc.boolean(), aspm: fc.boolean(), ltr: fc.boolean(), prefix: fc.boolean(), flr: fc.boolean(),
  }).map((p): Poke[] => [
    [PCI_EXP_FLAGS, 2, p.version | (type << 4) | (p.slot && SLOT_TYPES.includes(type) ? PCI_EXP_FLAGS_SLOT : 0)],
    [PCI_EXP_DEVCAP, 4, 0x8001 | (p.flr && !BRIDGE_TYPES.includes(type) ? 1 << 28 : 0)],
    [PCI_EXP_LNKCAP, 4, 0x00000041 | (p.aspm ? PCI_EXP_LNKCAP_ASPM_L0S | PCI_EXP_LNKCAP_ASPM_L1 : 0)],
    ...(p.version >= 2 ? [[PCI_EXP_DEVCAP2, 4, (p.ltr ? PCI_EXP_DEVCAP2_LTR : 0) | (p.prefix ? PCI_EXP_DEVCAP2_EE_PREFIX : 0)] as Poke] : []),
  ]));
}

/** Standard capabilities besides PCIe (PCI r3.0 6.7, PCI PM r1.2, PCIe r6.0 7.7). */
export const STANDARD_SHAPES: Readonly<Record<string, fc.Arbitrary<CapSpec>>> = {
  pm: spec('pm', fc.integer({ min: 1, max: 3 }).map((v): Poke[] => [[PCI_PM_PMC, 2, v]])),
  msi: spec('msi', fc.record({ is64: fc.boolean(), mask: fc.boolean(), mmc: fc.integer({ min: 0, max: 5 }) })
    .map((m): Poke[] => [[PCI_MSI_FLAGS, 2, (m.mmc << 1) | (m.is64 ? 0x80 : 0) | (m.mask ? 0x100 : 0)]])),
  msix: spec('msix', fc.integer({ min: 0, max: 63 }).map((n): Poke[] => [[PCI_MSIX_FLAGS, 2, n], [PCI_MSIX_TABLE, 4, 0x2000], [PCI_MSIX_PBA, 4, 0x3000]])),
  vndr: spec('vndr', fc.integer({ min: 3, max: 32 }).map((len): Poke[] => [[2, 1, len]])),
};

/** Extended capabilities (PCIe r6.0 7.8, 7.9). */
export const EXTENDED_SHAPES: Readonly<Record<string, fc.Arbitrary<CapSpec>>> = {
  // AER v1 or v2; its size follows the function's DEVCAP2 (pcieCap) and port type.
  aer: spec('aer', fc.constant([]), { version: fc.constantFrom(2, 1) }),
  // VC: EVCC extra VCs, and optionally a VC arbitration table (LPEVCC 1, 32 phases) right after
  // the per-VC resources, which pci_vc_do_save_buffer saves (sim/linux/vc.ts).
  vc: spec('vc', fc.record({ evcc: fc.integer({ min: 0, max: 3 }), table: fc.boolean() }).map((v): Poke[] => {
    const base = PCI_CAP_VC_BASE_SIZEOF + PCI_CAP_VC_PER_VC_SIZEOF * (v.evcc + 1);
    const at = Math.ceil(base / 16);
    return [[PCI_VC_PORT_CAP1, 4, v.evcc | (v.table ? 1 << 4 : 0)], [PCI_VC_PORT_CAP2, 4, v.table ? (PCI_VC_CAP2_32_PHASE | (at << 24)) >>> 0 : 0]];
  }), { tail: (shape) => {
    const cap2 = shape[1][2];
    if (!cap2) return 0;
    const evcc = shape[0][2] & 7;
    // The table starts at (ARB_OFF * 16) and holds (LPEVCC + 1) * 32 phases of 4 bits: 32 bytes.
    return (cap2 >>> 24) * 16 + 32 - (PCI_CAP_VC_BASE_SIZEOF + PCI_CAP_VC_PER_VC_SIZEOF * (evcc + 1));
  } }),
  dsn: spec('dsn', fc.constant([])),
  acs: spec('acs', fc.record({ bits: fc.integer({ min: 0, max: 0x1f }), egress: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }) })
    .map((a): Poke[] => [[PCI_ACS_CAP, 2, a.bits | (a.egress ? PCI_ACS_EC | ((a.egress & 0xff) << 8) : 0)]])),
  ari: spec('ari', fc.constant([])),
  ats: spec('ats', fc.integer({ min: 0, max: 31 }).map((q): Poke[] => [[PCI_ATS_CAP, 2, q]])),
  sriov: spec('sriov', fc.integer({ min: 1, max: 64 }).map((n): Poke[] => [[PCI_SRIOV_INITIAL_VF, 2, n], [PCI_SRIOV_TOTAL_VF, 2, n]])),
  pri: spec('pri', fc.constant([])),
  pasid: spec('pasid', fc.integer({ min: 0, max: 20 }).map((w): Poke[] => [[PCI_PASID_CAP, 2, w << 8]])),
  // REBAR with 1-6 resizable BARs (PCI_REBAR_CTRL_NBAR, bits 7:5 of the first control register).
  rebar: spec('rebar', fc.integer({ min: 1, max: 6 }).map((n): Poke[] => [[4, 4, 0x00000ff0], [PCI_REBAR_CTRL, 4, n << 5]])),
  // TPH with the ST table in the capability (1-8 entries) or elsewhere.
  tph: spec('tph', fc.record({ inCap: fc.boolean(), entries: fc.integer({ min: 1, max: 8 }) })
    .map((t): Poke[] => [[PCI_TPH_CAP, 4, (t.inCap ? PCI_TPH_LOC_CAP : 0) | ((t.entries - 1) << 16) | 1]])),
  ltr: spec('ltr', fc.constant([])),
  dpc: spec('dpc', fc.record({ rpExt: fc.boolean(), log: fc.integer({ min: 4, max: 9 }) })
    .map((d): Poke[] => [[PCI_EXP_DPC_CAP, 2, (d.rpExt ? PCI_EXP_DPC_CAP_RP_EXT : 0) | (d.log << 8)]])),
  // L1SS CAP: PCI-PM and ASPM L1.1/L1.2 and L1 PM Substates support bits (pcie/aspm.c reads them).
  l1ss: spec('l1ss', fc.integer({ min: 0, max: 0x1f }).map((b): Poke[] => [[PCI_L1SS_CAP, 4, b | 0x00282800]])),
  ptm: spec('ptm', fc.integer({ min: 0, max: 7 }).map((b): Poke[] => [[PCI_PTM_CAP, 4, b]])),
};
