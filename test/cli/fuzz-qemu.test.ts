/**
 * The qemu oracle (cli/fuzz/qemu.ts) on real-cycle reports: each phase the real cycle compares
 * with the model is a finding where they differ, named by QEMU device and register; a run that
 * did not complete is a finding of its own; an agreeing run is none.
 */
import { describe, expect, it } from 'vitest';
import type { RealCycleReport } from '../../kexec/run/real-cycle-report.js';
import { judgeQemuSample, qemuCorpusRecord, renderQemuRun, runQemuSamples } from '../../cli/fuzz/qemu.js';
import { shrinkQemuFinding } from '../../cli/fuzz/qemu-shrink.js';
import { parseTopology } from '../../kexec/topology/qemu-device.js';
import type { QemuSample } from '../../sim/fuzz/qemu-sample.js';

const SAMPLE: QemuSample = { index: 4, from: '6.12', to: '7.2', devices: ['ioh3420,id=rp1', 'virtio-net-pci,bus=rp1,disable-legacy=on,x-pcie-deverr-init=off'] };
const diff = (register: string, predicted: number, real: number) => ({ location: 'x', register, offset: 0x50, width: 2, captured: 0, predicted, real });
const kernel = (over: Partial<NonNullable<RealCycleReport['devices'][number]['kernel']>> = {}) => ({
  save: { ret: 0, stateSaved: true, buffers: [], real: { size: 100, entries: [] }, model: { size: 100, entries: [] }, differences: [], drifted: false, modelWrites: [] },
  load: { ret: 0, copied: [], model: { ret: 0 }, stateSavedBefore: true },
  restoredVsPredicted: [], modelRestoreWrites: [], ...over,
}) as unknown as NonNullable<RealCycleReport['devices'][number]['kernel']>;
const report = (over: Partial<RealCycleReport>): RealCycleReport => ({
  ok: true, options: { devices: ['rp1', 'virtionetpci1'], topology: true, from: '6.12', to: '7.2', format: 'linux-blob', saver: 'kernel', drift: [] },
  phases: [], totalMs: 12000, captures: {}, fidelity: [], devices: [], ...over,
});
const fid = (point: 'after-kexec' | 'after-unbind', id: string, diffs: ReturnType<typeof diff>[]) => ({ point, id, bdf: '00:01.0', driverA: null, driverB: null, diffs, changed: 0, notes: [] });

describe('the qemu oracle', () => {
  it('an agreeing run is no finding', () => {
    expect(judgeQemuSample(SAMPLE, report({ devices: [{ id: 'rp1', bdf: '00:01.0', driverA: null, driverB: null, kernel: kernel() }] }))).toEqual([]);
  });

  it('each phase that differs is one finding, by QEMU device and register, with the command that runs the sample', () => {
    const found = judgeQemuSample(SAMPLE, report({
      fidelity: [fid('after-kexec', 'rp1', [diff('PCI_MSI_DATA_32', 0x22, 0x20)]), fid('after-kexec', 'virtionetpci1', [diff('PCI_EXP_DEVCTL', 0xf, 0)]), fid('after-unbind', 'rp1', [])],
      devices: [{
        id: 'virtionetpci1', bdf: '01:00.0', driverA: 'virtio-pci', driverB: 'virtio-pci',
        kernel: kernel({
          save: { ...kernel().save, differences: [{ offset: 70, where: 'std cap 0x10', register: 'PCI_EXP_DEVCTL', real: 0, model: 0xf, why: 'model-disagrees' }] },
          load: { ...kernel().load, ret: -22, model: { ret: 0 } },
          restoredVsPredicted: [diff('PCI_EXP_DEVCTL', 0xf, 0)],
        }),
      }],
    }));
    expect(found.map((f) => [f.kind, f.registers])).toEqual([
      ['kexec', ['ioh3420:PCI_MSI_DATA_32', 'virtio-net-pci:PCI_EXP_DEVCTL']],
      ['blob', ['virtio-net-pci:PCI_EXP_DEVCTL']],
      ['load', ['virtio-net-pci:pci_load_saved_state']],
      ['restore', ['virtio-net-pci:PCI_EXP_DEVCTL']],
    ]);
    expect(found[0].signature).toBe('qemu/kexec | 6.12->7.2 | linux-blob | real | - | ioh3420:PCI_MSI_DATA_32,virtio-net-pci:PCI_EXP_DEVCTL');
    expect(found[0].detail).toBe('after-kexec: ioh3420:PCI_MSI_DATA_32 before 0x0, model 0x22, real 0x20; virtio-net-pci:PCI_EXP_DEVCTL before 0x0, model 0xf, real 0x0');
    expect(found.every((f) => f.oracle === 'qemu' && f.sample === 4 && f.command.startsWith("lusim cycle --qemu --qemu-device 'ioh3420,id=rp1'"))).toBe(true);
  });

  it('the MSI message a driver of kernel B programmed is the vector allocator\'s, not a finding; after the unbind it is', () => {
    const unpredictable = { ...fid('after-kexec', 'rp1', [diff('PCI_MSI_DATA_32', 0x22, 0x20)]), driverB: 'pcieport' };
    expect(judgeQemuSample(SAMPLE, report({ fidelity: [unpredictable] }))).toEqual([]);
    expect(judgeQemuSample(SAMPLE, report({ fidelity: [fid('after-kexec', 'rp1', [diff('PCI_MSI_DATA_32', 0x22, 0x20)])] })).map((f) => f.kind)).toEqual(['kexec']);
    expect(judgeQemuSample(SAMPLE, report({ fidelity: [fid('after-unbind', 'rp1', [diff('PCI_MSI_DATA_32', 0, 0x20)])] })).map((f) => f.kind)).toEqual(['unbind']);
  });

  it('trace: a write only one side made is a finding, by device, phase and offset; the MSI message values are not', () => {
    const w = (phase: string, offset: number, value: number, fn: string | null = null) => ({ phase, device: '01:00.0', space: 'config', offset, width: fn ? 2 : null, value, fn }) as never;
    const trace = (onlyModel: never[], onlyReal: never[], matched: never[] = []) => ({ writes: 0, split: {}, perPhase: [], betweenSaveAndRestore: [], timeline: [], comparison: { matched: matched.map((m) => ({ model: m, real: m })), onlyModel, onlyReal, agreement: 0, groups: [] } }) as never;
    const captures = { a: { ms: 0, reads: 0, bytes: 0, functions: [{ id: 'virtionetpci1', bdf: '01:00.0', ids: '', driver: null, command: 0, msixEnabled: null, msixUnmasked: null }] } };
    // pci_write_msg_msi: Message Control (agreed), then the address the allocator chose.
    const control = w('boot B', 0x72, 0x80, 'msi_domain_activate');
    const known = trace([w('boot B', 0x74, 0xfee00000, 'msi_domain_activate')], [w('boot B', 0x74, 0xfee02004)], [control]);
    expect(judgeQemuSample({ ...SAMPLE, to: '6.12' }, report({ captures, writeTrace: known }))).toEqual([]);
    // Message Control is the kernel's, not the allocator's: a difference there is a finding.
    const control2 = trace([w('boot B', 0x72, 0x81, 'msi_domain_activate')], [w('boot B', 0x72, 0x80)]);
    expect(judgeQemuSample({ ...SAMPLE, to: '6.12' }, report({ captures, writeTrace: control2 })).map((f) => f.registers)).toEqual([['virtio-net-pci:boot B@0x72']]);
    // A 6.x kernel B's LNKCTL write is no longer left out (pci_configure_rcb is modelled): a difference on any kernel.
    const lnk = trace([], [w('boot B', 0x50, 0)], [w('boot B', 0x50, 0, 'pcie_aspm_configure_common_clock')]);
    for (const to of ['6.12', '7.2']) {
      const [f] = judgeQemuSample({ ...SAMPLE, to }, report({ captures, writeTrace: lnk }));
      expect([f.kind, f.registers, f.detail]).toEqual(['trace', ['virtio-net-pci:boot B@0x50'], 'config writes only one side made: virtio-net-pci:boot B@0x50 0x0 (QEMU only)']);
    }
    const [m] = judgeQemuSample(SAMPLE, report({ captures, writeTrace: trace([w('unbind B', 0x4, 0x107, 'pci_disable_device')], []) }));
    expect(m.detail).toBe('config writes only one side made: virtio-net-pci:unbind B@0x4 0x107 (model only, pci_disable_device)');
  });

  it('two functions of one QEMU device share their name in the signature; the detail says where each sits', () => {
    // Three nvme, as multi-branch samples have (docs/fuzz.md, the duplicate-serial harness bug):
    // two functions of one device on rp1 and an RCiEP on pcie.0.
    const two: QemuSample = { index: 0, from: '6.12', to: '7.2', devices: ['ioh3420,id=rp1', 'nvme,bus=rp1,addr=0.0,multifunction=on', 'nvme,bus=rp1,addr=0.1', 'nvme,bus=pcie.0'] };
    const ids = parseTopology(two.devices).devices.map((d) => d.id);
    const found = judgeQemuSample(two, report({
      devices: [ids[2], ids[3]].map((id) => ({ id, bdf: '01:00.1', driverA: 'nvme', driverB: 'nvme', kernel: kernel({ restoredVsPredicted: [diff('PCI_COMMAND', 0x6, 0x2)] }) })),
    }));
    expect(found.map((f) => f.registers)).toEqual([['nvme:PCI_COMMAND'], ['nvme:PCI_COMMAND']]);
    expect(found.map((f) => f.detail)).toEqual([
      "after kernel B's restore: nvme[bus=rp1,addr=0.1]:PCI_COMMAND model 0x6, real 0x2",
      "after kernel B's restore: nvme[bus=pcie.0]:PCI_COMMAND model 0x6, real 0x2",
    ]);
    // One device of its kind keeps its plain name.
    expect(judgeQemuSample(SAMPLE, report({ devices: [{ id: 'virtionetpci1', bdf: '01:00.0', driverA: null, driverB: null, kernel: kernel({ restoredVsPredicted: [diff('PCI_COMMAND', 0x6, 0x2)] }) }] }))[0].detail)
      .toBe("after kernel B's restore: virtio-net-pci:PCI_COMMAND model 0x6, real 0x2");
  });

  it('a run that did not complete is a run-failed finding, by its error code and phase', () => {
    const [f] = judgeQemuSample(SAMPLE, report({ ok: false, error: { code: 'boot-failed', phase: 'boot A', message: 'kernel A did not bring its agent up within 90 s\nconsole: ...' } }));
    expect(f).toMatchObject({ kind: 'run-failed', registers: ['boot-failed in boot A'], detail: 'the real cycle did not complete: kernel A did not bring its agent up within 90 s' });
  });
});

describe('runQemuSamples --jobs', () => {
  // Stand-in real cycles: samples 1 and 3 fail the same way (one signature), 2 another way; the
  // later samples take less time, so with several at a time they end out of sample order.
  const samples: QemuSample[] = [0, 1, 2, 3].map((index) => ({ ...SAMPLE, index }));
  const code = ['', 'boot-failed', 'kexec-failed', 'boot-failed'];
  const run = async (s: QemuSample) => {
    await new Promise((r) => setTimeout(r, [80, 50, 20, 10][s.index]));
    return s.index === 0 ? report({}) : report({ ok: false, error: { code: code[s.index], phase: 'boot A', message: `sample ${s.index}` } });
  };

  it('runs N samples at a time and keeps, per signature, the first sample in sample order whatever ended first', async () => {
    const ended: string[] = [];
    const one = await runQemuSamples(samples, (l) => ended.push(l), 1, run);
    const three = await runQemuSamples(samples, (l) => ended.push(l), 3, run);
    expect(three.findings).toEqual(one.findings);
    expect(one.findings.map((f) => [f.sample, f.registers[0]])).toEqual([[1, 'boot-failed in boot A'], [2, 'kexec-failed in boot A']]);
    expect([one.completed, three.completed]).toEqual([1, 1]);
    // One at a time they end in order; three at a time they overlapped (sample 3, 0-based 2, first).
    expect(ended.map((l) => l.match(/sample (\d)/)![1])).toEqual(['1', '2', '3', '4', '3', '4', '2', '1']);
  });
});

describe('shrinking a qemu finding by real runs of simpler samples', () => {
  // A stand-in real cycle with a model-vs-QEMU difference whenever virtio-net has one MSI-X vector
  // (the shape of the vp_find_vqs finding, test/e2e/fuzz-qemu.test.ts seed 55): only that property matters.
  const first: QemuSample = { index: 2, from: '7.2', to: '6.1', devices: ['pcie-root-port,id=rp1,x-speed=5,x-width=16', 'x3130-upstream,id=up1,bus=rp1', 'xio3130-downstream,id=dn1,bus=up1', 'virtio-net-pci,bus=dn1,disable-legacy=on,aer=on,vectors=1,x-pcie-pm-init=off'] };
  // The endpoint's id is the one the real run gives it (kexec/topology/qemu-device.ts: by position).
  const endpointId = (s: QemuSample) => parseTopology(s.devices).devices.at(-1)!.id;
  const vectorsOne = (s: QemuSample) => report(s.devices.some((d) => d.includes('vectors=1')) ? {
    devices: [{ id: endpointId(s), bdf: '01:00.0', driverA: 'virtio-pci', driverB: 'virtio-pci', kernel: kernel({ restoredVsPredicted: [diff('PCI_COMMAND', 0x507, 0x107)] }) }],
  } : {});
  const ran: string[][] = [];
  const run = async (s: QemuSample) => { ran.push([...s.devices]); return vectorsOne(s); };
  const [found] = judgeQemuSample(first, vectorsOne(first));
  const shrink = (budget: number, jobs: number) => shrinkQemuFinding(found, first, { budget, jobs, run, progress: () => {} });

  it('ends at the simplest sample that still shows the signature, the same with 1 or 3 at a time', async () => {
    const one = await shrink(20, 1);
    expect(one.devices).toEqual(['pcie-root-port,id=rp1', 'virtio-net-pci,bus=rp1,disable-legacy=on,vectors=1']);
    expect(one.signature).toBe(found.signature);
    expect(one.command).toBe("lusim cycle --qemu --qemu-device 'pcie-root-port,id=rp1' --qemu-device 'virtio-net-pci,bus=rp1,disable-legacy=on,vectors=1' --from 7.2 --to 6.1 --format linux-blob --no-fetch --json");
    // no switch (1 run), x-speed (1), x-width (1), aer (1), vectors kept (1 rejected) then x-pcie-pm-init (1), then vectors alone (1 rejected).
    expect(one.shrunk).toEqual({ from: first.devices, runs: 7 });
    const three = await shrink(20, 3);
    expect(three.devices).toEqual(one.devices);
    expect(three.shrunk!.runs).toBeGreaterThanOrEqual(7);
  });

  it('stops when the budget is spent, keeping the simplest sample reached', async () => {
    const two = await shrink(2, 1);
    expect(two.devices).toEqual(['pcie-root-port,id=rp1,x-width=16', 'virtio-net-pci,bus=rp1,disable-legacy=on,aer=on,vectors=1,x-pcie-pm-init=off']);
    expect(two.shrunk!.runs).toBe(2);
  });

  it('a run-failed finding is not shrunk; the corpus record and the text name both samples', async () => {
    const [failed] = judgeQemuSample(first, report({ ok: false, error: { code: 'boot-failed', phase: 'boot A', message: 'no agent' } }));
    ran.length = 0;
    expect(await shrinkQemuFinding(failed, first, { budget: 20, jobs: 1, run, progress: () => {} })).toBe(failed);
    expect(ran).toEqual([]);
    const shrunk = await shrink(20, 1);
    expect(qemuCorpusRecord(shrunk, first, 55)).toMatchObject({ sample: 2, devices: shrunk.devices, sampleDevices: first.devices, shrinkRuns: 7, command: shrunk.command });
    const text = renderQemuRun({ samples: 3, completed: 3, ms: 30000, findings: [shrunk] });
    expect(text).toContain(`sample 3 of 3, shrunk in 7 real runs: ${shrunk.command}`);
    expect(text).toContain(`(the sample: ${first.devices.join(' ')})`);
  });
});

