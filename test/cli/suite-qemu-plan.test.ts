/**
 * `lusim suite run --qemu` without QEMU: which guests the tests need (one per kernel for the reset
 * cases, one per kernel pair and carried format for the cycle cases, each with every device its
 * tests name), which cycles run on the model only and why, and how a real cycle report judges a
 * cycle test: its expectations on the real kernels (qemu.KEY) and the model against reality,
 * naming the registers where they disagree. The reports here have the shape kexec/run/real-cycle.ts
 * writes; the values are the ones test/e2e/real-cycle-kernel.test.ts measured for nvme 6.12 -> 6.1.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceResult, RealCycleReport } from '../../kexec/run/real-cycle-report.js';
import { planBoots, realCycleRun } from '../../cli/suite/qemu-boots.js';
import { judgeRealCycle } from '../../cli/suite/qemu-cycle.js';
import type { FieldOutcome } from '../../sim/cycle/verdict.js';
import { loadSuite } from '../../sim/suite/load.js';
import { planTests } from '../../sim/suite/plan.js';

const ANY = { isKnownKernel: () => true, knownKernels: 'any' };
const SUITE = `name: plan
kernels: ["6.1", "6.12"]
cases:
  - {name: nvme, device: nvme, expect: {reset_method: [flr, bus]}}
  - {name: e1000e, device: {qemu: [e1000e]}, expect: {reset_method: [pm, bus]}}
  - {name: virtio, device: virtio-net, expect: {reset_method: [flr, pm, bus]}}
  - {name: a dump, device: {dump: ../../fixtures/qemu/nvme.lspci}, expect: {reset_method: [flr, bus]}}
  - {name: nvme lu, device: nvme, cycle: {from: "6.12", to: "6.1"}, expect: {load: ok}}
  - {name: e1000e lu, device: e1000e, cycle: {from: "6.12", to: "6.1"}, expect: {load: ok}}
  - {name: nvme drift, device: nvme, cycle: {from: "6.12", to: "6.1", drift: "pcie:+reg"}, expect: {load: refused}}
  - {name: nvme v1, device: nvme, cycle: {from: "6.12", to: "6.1", format: lusim-v1}, expect: {load: ok}}
  - {name: nvme vfio, device: nvme, cycle: {from: "6.12", to: "6.1", flow: vfio}, expect: {load: ok}}
  - {name: nvme flr, device: nvme, cycle: {from: "6.12", to: "6.1", reset: flr}, expect: {load: ok}}
`;
const tests = planTests([loadSuite(SUITE, 'test/cli/plan.yaml', ANY)]);
const test = (name: string) => tests.find((t) => t.case.name === name)!;

describe('suite --qemu: the guests a plan boots', () => {
  it('one guest per cycle pair and format carrying every device; reset cases ride in a cycle from their kernel, else a guest per kernel', () => {
    const { boots, byTest } = planBoots(tests);
    expect(boots.map((b) => [b.key, [...b.devices], b.kind === 'cycle' ? [...b.passengers] : []])).toEqual([
      ['cycle 6.12 -> 6.1 linux-blob', ['nvme', 'e1000e'], ['virtio-net-pci']], ['cycle 6.12 -> 6.1 linux-blob drift pcie:+reg', ['nvme'], []],
      ['cycle 6.12 -> 6.1 lusim-v1', ['nvme'], []], ['reset 6.1', ['nvme', 'e1000e', 'virtio-net-pci'], []],
    ]);
    expect(byTest.get(tests.find((t) => t.case.name === 'virtio' && t.kernel === '6.12')!.id)).toBe('cycle 6.12 -> 6.1 linux-blob');
    expect(byTest.get(tests.find((t) => t.case.name === 'virtio' && t.kernel === '6.1')!.id)).toBe('reset 6.1');
    expect(byTest.has(test('a dump').id)).toBe(false);
    expect(byTest.get(test('nvme v1').id)).toBe('cycle 6.12 -> 6.1 lusim-v1');
  });

  it('linux-blob is saved by the guest kernels, lusim-v1 by their profiles; other flows and resets stay on the model, saying why', () => {
    expect(realCycleRun(test('nvme lu'))).toMatchObject({ saver: 'kernel', format: 'linux-blob' });
    expect(realCycleRun(test('nvme v1'))).toMatchObject({ saver: 'host', format: 'lusim-v1' });
    expect(realCycleRun(test('nvme vfio'))).toEqual({ why: expect.stringMatching(/^model only: flow vfio; the real cycle/) });
    expect(realCycleRun(test('nvme flr'))).toEqual({ why: expect.stringMatching(/^model only: a flr reset in the kexec window/) });
  });
});

const field = (register: string, name: string, verdict: FieldOutcome['verdict'], after = 1): FieldOutcome => ({
  function: 'dev', location: 'header', register, field: name, offset: 4, bits: '0', before: 1, mid: 0, after, verdict, rule: 'r', writers: [],
});
const REAL_FIELDS = [field('PCI_COMMAND', 'PCI_COMMAND_MASTER', 'restored'), field('PCI_COMMAND', 'PCI_COMMAND_INTX_DISABLE', 'restored'), field('PCI_MSIX_FLAGS', 'PCI_MSIX_FLAGS_ENABLE', 'lost', 0)];

function report(device: Partial<DeviceResult>): RealCycleReport {
  const blob = { size: 94, hex: '00', entries: [] };
  const nvme: DeviceResult = {
    id: 'nvme', bdf: '01:00.0', driverA: 'nvme', driverB: 'nvme', fields: REAL_FIELDS, modelDifferences: [],
    kernel: {
      save: { ret: 0, stateSaved: true, buffers: [], real: blob, model: blob, differences: [], drifted: false, modelWrites: [] } as never,
      load: { ret: 0, copied: [], model: { ret: 0 }, stateSavedBefore: true }, restoredVsPredicted: [], modelRestoreWrites: [],
    },
    ...device,
  };
  return {
    ok: true, options: { devices: ['nvme'], topology: false, from: '6.12', to: '6.1', format: 'linux-blob', saver: 'kernel', drift: [] },
    kernels: { from: { release: '6.12.117+deb12-cloud-amd64', profile: '6.12.y', kconfig: [] }, to: { release: '6.1.0-57-cloud-amd64', profile: '6.1.y', kconfig: [] } },
    phases: [], totalMs: 0, captures: {}, fidelity: [], devices: [nvme],
  };
}
const MODEL_FIELDS = [...REAL_FIELDS, field('PCI_COMMAND', 'PCI_COMMAND_MEMORY', 'unchanged'), { ...field('PCI_COMMAND', 'PCI_COMMAND_MASTER', 'restored'), function: 'parent' as const }];

describe('suite --qemu: a cycle test judged on the real cycle', () => {
  const expectations = { load: 'ok' as const, lost: ['PCI_MSIX_FLAGS.PCI_MSIX_FLAGS_ENABLE', 'parent:PCI_EXP_LNKCTL.PCI_EXP_LNKCTL_ASPMC'], corrupted: 0, fields: { 'PCI_COMMAND.PCI_COMMAND_MEMORY': 'unchanged' as const } };

  it('the expectations hold on the real kernels, and the model agrees with them on blob, load, restored state and verdicts', () => {
    const { checks, notes } = judgeRealCycle({ expect: expectations }, report({}), 'nvme', MODEL_FIELDS);
    expect(checks.map((c) => [c.key, c.pass])).toEqual([
      ['qemu.load', true], ['qemu.lost', true], ['qemu.corrupted', true], ['qemu.fields.PCI_COMMAND.PCI_COMMAND_MEMORY', true],
      ['model = qemu (blob)', true], ['model = qemu (load)', true], ['model = qemu (restored state)', true], ['model = qemu (verdicts)', true],
    ]);
    expect(checks[0]!.why).toMatch(/nvme 01:00.0 under Linux 6\.12\.117\+deb12-cloud-amd64 -> 6\.1\.0-57-cloud-amd64/);
    expect(notes).toEqual([
      'real cycle: Linux 6.12.117+deb12-cloud-amd64 -> 6.1.0-57-cloud-amd64, linux-blob, saved and restored by the guest kernels (lusim_pci module)',
      'checked on the model only: parent:PCI_EXP_LNKCTL.PCI_EXP_LNKCTL_ASPMC (the real run classifies the device, not its root port)',
    ]);
  });

  it('a disagreement fails the test and names the register, the kernel\'s value and the model\'s', () => {
    const { checks } = judgeRealCycle({ expect: expectations }, report({
      fields: [...REAL_FIELDS.slice(0, 2), field('PCI_MSIX_FLAGS', 'PCI_MSIX_FLAGS_ENABLE', 'restored')],
      modelDifferences: [{ register: 'PCI_MSIX_FLAGS', field: 'PCI_MSIX_FLAGS_ENABLE', offset: 0x42, bits: '15', model: { after: 0, verdict: 'lost' }, real: { after: 1, verdict: 'restored' } }],
      kernel: { ...report({}).devices[0]!.kernel!, load: { ret: -22, copied: [], refusedAt: 'std cap 0x10: size 16 in the blob vs 14 in kernel B\'s buffer', model: { ret: 0 }, stateSavedBefore: true },
        restoredVsPredicted: [{ location: 'msix', register: 'PCI_MSIX_FLAGS', offset: 0x42, width: 2, captured: 0x8040, predicted: 0x0040, real: 0x8040 }] },
    }), 'nvme', MODEL_FIELDS);
    const failed = Object.fromEntries(checks.filter((c) => !c.pass).map((c) => [c.key, c.why]));
    expect(Object.keys(failed)).toEqual(['qemu.load', 'qemu.lost', 'model = qemu (load)', 'model = qemu (restored state)', 'model = qemu (verdicts)']);
    expect(failed['qemu.load']).toMatch(/^kernel B's pci_load_saved_state returned -22, refused at std cap 0x10/);
    expect(failed['model = qemu (load)']).toMatch(/returned -22 .*; the model's 0/);
    expect(failed['model = qemu (restored state)']).toBe('PCI_MSIX_FLAGS @0x042: kernel 0x8040, model 0x0040');
    expect(failed['model = qemu (verdicts)']).toMatch(/^PCI_MSIX_FLAGS.PCI_MSIX_FLAGS_ENABLE: kernel 1 \(restored\), model 0 \(lost\)/);
  });
});
