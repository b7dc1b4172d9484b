/**
 * Probe rules of every reset method, per kernel profile, table-driven on synthetic devices. Each
 * case names the kernel function (drivers/pci/pci.c unless noted) and the condition it tests.
 */
import { describe, expect, it } from 'vitest';
import { parseBdf } from '../../../devices/dump/bdf.js';
import type { ResetProbeDevice } from '../../../sim/reset-methods/device.js';
import { parseDevFlags } from '../../../sim/reset-methods/device.js';
import { KERNEL_VERSIONS, kernelProfile, type KernelVersion, type ResetMethodName } from '../../../sim/reset-methods/kernels.js';
import { predictResetMethods } from '../../../sim/reset-methods/predict.js';
import { runMethod } from '../../../sim/reset-methods/probes.js';
import { EINVAL, ENOTTY } from '../../../sim/reset-methods/result.js';
import { pciInitResetMethods, pciResetFunctionLocked } from '../../../sim/reset-methods/select.js';

/** A PCIe endpoint alone behind a root port: FLR, PM (No_Soft_Reset=0), BAR0 assigned. */
const base: ResetProbeDevice = {
  bdf: parseBdf('01:00.0'), vendor: 0x1234, device: 0x0001, classCode: 0x020000,
  isPcie: true, devcapFlr: true, pmCap: true, pmVersion: 3, noSoftReset: false, bar0Assigned: true,
  multifunction: false, hasSubordinate: false, onRootBus: false, busHasSelf: true, parentInDump: true,
  parentBdf: '00:01.0', siblings: [], siblingsAtProbe: [], flags: new Set(), acpiRst: false, slot: 'none', currentState: 0,
};
const dev = (over: Partial<ResetProbeDevice>): ResetProbeDevice => ({ ...base, ...over });

interface Case { name: string; method: ResetMethodName; dev: ResetProbeDevice; rc: number; kernels?: readonly KernelVersion[]; mode?: 'probe' | 'reset' }

const CASES: Case[] = [
  // quirks.c pci_dev_specific_reset
  { name: 'no quirk entry', method: 'device_specific', dev: base, rc: ENOTTY },
  { name: 'Intel 82599 SFP VF quirk', method: 'device_specific', dev: dev({ vendor: 0x8086, device: 0x10ed }), rc: 0 },
  { name: 'Chelsio T4 (0x4xxx, PCI_ANY_ID entry)', method: 'device_specific', dev: dev({ vendor: 0x1425, device: 0x4001 }), rc: 0 },
  { name: 'Chelsio non-T4', method: 'device_specific', dev: dev({ vendor: 0x1425, device: 0x5001 }), rc: ENOTTY },
  { name: 'Samsung a804 nvme_disable_and_flr', method: 'device_specific', dev: dev({ vendor: 0x144d, device: 0xa804, classCode: 0x010802 }), rc: 0 },
  { name: 'Samsung a804 without BAR0', method: 'device_specific', dev: dev({ vendor: 0x144d, device: 0xa804, classCode: 0x010802, bar0Assigned: false }), rc: ENOTTY },
  { name: 'Solidigm f1ac absent from 6.1', method: 'device_specific', dev: dev({ vendor: 0x025e, device: 0xf1ac }), rc: ENOTTY, kernels: ['6.1', '6.1.y'] },
  { name: 'Solidigm f1ac delay_250ms_after_flr', method: 'device_specific', dev: dev({ vendor: 0x025e, device: 0xf1ac }), rc: 0, kernels: ['6.12', '6.12.y', '6.19', '7.1'] },
  { name: 'Intel 0953 delay_250ms_after_flr with NO_FLR', method: 'device_specific', dev: dev({ vendor: 0x8086, device: 0x0953, flags: new Set(['no-flr']) }), rc: ENOTTY },
  // pci-acpi.c pci_dev_acpi_reset
  { name: 'no _RST', method: 'acpi', dev: base, rc: ENOTTY },
  { name: '_RST present', method: 'acpi', dev: dev({ acpiRst: true }), rc: 0 },
  // pcie_reset_flr
  { name: 'DEVCAP.FLR', method: 'flr', dev: base, rc: 0 },
  { name: 'DEVCAP lacks FLR', method: 'flr', dev: dev({ devcapFlr: false }), rc: ENOTTY },
  { name: 'PCI_DEV_FLAGS_NO_FLR_RESET', method: 'flr', dev: dev({ flags: new Set(['no-flr']) }), rc: ENOTTY },
  // pci_af_flr
  { name: 'no AF capability', method: 'af_flr', dev: base, rc: ENOTTY },
  { name: 'AF with TP and FLR', method: 'af_flr', dev: dev({ af: { tp: true, flr: true } }), rc: 0 },
  { name: 'AF without TP', method: 'af_flr', dev: dev({ af: { tp: false, flr: true } }), rc: ENOTTY },
  { name: 'AF with NO_FLR_RESET', method: 'af_flr', dev: dev({ af: { tp: true, flr: true }, flags: new Set(['no-flr']) }), rc: ENOTTY },
  // pci_pm_reset
  { name: 'PM, No_Soft_Reset=0', method: 'pm', dev: base, rc: 0 },
  { name: 'no PM capability', method: 'pm', dev: dev({ pmCap: false }), rc: ENOTTY },
  { name: 'No_Soft_Reset=1', method: 'pm', dev: dev({ noSoftReset: true }), rc: ENOTTY },
  { name: 'PCI_DEV_FLAGS_NO_PM_RESET', method: 'pm', dev: dev({ flags: new Set(['no-pm']) }), rc: ENOTTY },
  { name: 'probe ignores the power state', method: 'pm', dev: dev({ currentState: 3 }), rc: 0 },
  { name: 'reset in D3hot -> -EINVAL', method: 'pm', dev: dev({ currentState: 3 }), rc: EINVAL, mode: 'reset' },
  // pci_reset_bus_function -> pci_dev_reset_slot_function, pci_parent_bus_reset
  { name: 'alone below a bridge', method: 'bus', dev: base, rc: 0 },
  { name: 'root bus', method: 'bus', dev: dev({ onRootBus: true, busHasSelf: false }), rc: ENOTTY },
  { name: 'sibling on the bus', method: 'bus', dev: dev({ siblings: ['01:00.1'] }), rc: ENOTTY },
  { name: 'device is a bridge (subordinate)', method: 'bus', dev: dev({ hasSubordinate: true }), rc: ENOTTY },
  { name: 'PCI_DEV_FLAGS_NO_BUS_RESET', method: 'bus', dev: dev({ flags: new Set(['no-bus']) }), rc: ENOTTY },
  { name: 'pciehp slot reset despite siblings', method: 'bus', dev: dev({ slot: 'reset-op', siblings: ['01:00.1'] }), rc: 0 },
  { name: 'slot reset refused for multifunction, siblings block parent reset', method: 'bus', dev: dev({ slot: 'reset-op', multifunction: true, siblings: ['01:00.1'] }), rc: ENOTTY },
  { name: 'slot without reset_slot op falls back to parent reset', method: 'bus', dev: dev({ slot: 'no-reset-op' }), rc: 0 },
  { name: 'CXL SBR masked, 6.12 probe lists bus', method: 'bus', dev: dev({ upstreamCxl: { unmaskSbr: false }, siblings: ['01:00.1'] }), rc: 0, kernels: ['6.12', '6.12.y', '6.19'] },
  { name: 'CXL SBR masked, 6.12 reset fails', method: 'bus', dev: dev({ upstreamCxl: { unmaskSbr: false } }), rc: ENOTTY, kernels: ['6.12', '6.12.y', '6.19'], mode: 'reset' },
  { name: 'CXL SBR masked, 7.1 -ENOTTY', method: 'bus', dev: dev({ upstreamCxl: { unmaskSbr: false } }), rc: ENOTTY, kernels: ['7.1'] },
  { name: 'CXL SBR masked, 6.1 has no CXL check', method: 'bus', dev: dev({ upstreamCxl: { unmaskSbr: false } }), rc: 0, kernels: ['6.1', '6.1.y'] },
  // cxl_reset_bus_function
  { name: 'upstream CXL port DVSEC', method: 'cxl_bus', dev: dev({ upstreamCxl: { unmaskSbr: false } }), rc: 0, kernels: ['6.12', '7.1'] },
  { name: 'no CXL DVSEC upstream', method: 'cxl_bus', dev: base, rc: ENOTTY, kernels: ['6.12', '7.1'] },
  { name: 'root bus: no upstream bridge', method: 'cxl_bus', dev: dev({ onRootBus: true, busHasSelf: false }), rc: ENOTTY, kernels: ['6.12', '7.1'] },
  { name: 'reset with SBR unmasked temporarily', method: 'cxl_bus', dev: dev({ upstreamCxl: { unmaskSbr: false } }), rc: 0, kernels: ['6.12', '7.1'], mode: 'reset' },
];

describe('reset method probe rules per kernel', () => {
  for (const c of CASES) {
    for (const k of c.kernels ?? KERNEL_VERSIONS) {
      it(`${k} ${c.method} (${c.mode ?? 'probe'}): ${c.name} -> ${c.rc}`, () => {
        expect(runMethod(c.method, c.dev, c.mode ?? 'probe', kernelProfile(k)).rc).toBe(c.rc);
      });
    }
  }
});

describe('pci_init_reset_methods and __pci_reset_function_locked', () => {
  it('6.1 has no cxl_bus; 6.12 and 7.1 probe it last', () => {
    expect(kernelProfile('6.1').methods).not.toContain('cxl_bus');
    expect(kernelProfile('6.12').methods.at(-1)).toBe('cxl_bus');
    expect(kernelProfile('7.1').methods.at(-1)).toBe('cxl_bus');
  });

  it('lists methods in table order', () => {
    const l = pciInitResetMethods(dev({ acpiRst: true, af: { tp: true, flr: true } }), kernelProfile('6.12'));
    expect(l.methods).toEqual(['acpi', 'flr', 'af_flr', 'pm', 'bus']);
  });

  it('__pci_reset_function_locked: -EINVAL from pm stops the chain before bus', () => {
    const k = kernelProfile('6.12');
    const l = pciResetFunctionLocked(dev({ currentState: 3 }), ['pm', 'bus'], k);
    expect(l).toMatchObject({ rc: EINVAL, method: 'pm' });
    expect(l.steps.map((s) => s.method)).toEqual(['pm']);
  });

  it('pci_reset_function puts the device in D0 first, so pm works where the locked call fails', () => {
    const p = predictResetMethods(dev({ devcapFlr: false, currentState: 3 }), kernelProfile('6.12'));
    expect(p.resetFunctionMethod).toBe('pm');
    expect(p.lockedResetRc).toBe('-EINVAL');
    expect(p.resetWorks).toBe(true);
  });

  it('no methods: no sysfs file, reset fails, VFIO reset_works false', () => {
    const p = predictResetMethods(dev({ devcapFlr: false, pmCap: false, onRootBus: true, busHasSelf: false }), kernelProfile('7.1'));
    expect(p).toMatchObject({ resetMethods: [], resetFunctionMethod: null, resetWorks: false });
  });

  it('6.12 lists bus below a masked CXL port but the reset falls through to cxl_bus', () => {
    const p = predictResetMethods(dev({ devcapFlr: false, pmCap: false, upstreamCxl: { unmaskSbr: false } }), kernelProfile('6.12'));
    expect(p.resetMethods).toEqual(['bus', 'cxl_bus']);
    expect(p.resetFunctionMethod).toBe('cxl_bus');
  });

  it('--flags parsing maps to PCI_DEV_FLAGS_NO_* and rejects unknown names', () => {
    expect(parseDevFlags('no-flr,no-bus')).toEqual(['no-flr', 'no-bus']);
    expect(parseDevFlags('')).toEqual([]);
    expect(() => parseDevFlags('no-reset')).toThrow(/unknown flag "no-reset"/);
    expect(() => kernelProfile('5.15')).toThrow(/unknown kernel "5.15"/);
  });
});
