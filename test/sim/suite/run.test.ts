/**
 * The suite engine on the model (sim/suite/run.ts, expect.ts): a reset case reads
 * sim/reset-methods, a cycle case sim/cycle; a wrong expectation fails with expected vs actual and
 * the model's reason. Facts pinned here come from the same predictions `lusim reset-methods` and
 * `lusim cycle` print (nvme: "flr bus", measured on real kernels in test/e2e/reset-methods-live).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDump } from '../../../devices/dump/index.js';
import { describeCheck } from '../../../sim/suite/expect.js';
import { loadSuite } from '../../../sim/suite/load.js';
import { planTests } from '../../../sim/suite/plan.js';
import { runModelTest, type SuiteDevice } from '../../../sim/suite/run.js';

const dump = (name: string) => parseDump(new Uint8Array(readFileSync(`fixtures/${name}.lspci`)))[0];
const nvme: SuiteDevice = { label: 'nvme', dump: dump('qemu/nvme'), parent: dump('qemu/pcie-root-port'), all: [dump('qemu/pcie-root-port'), dump('qemu/nvme')] };
const l1ss: SuiteDevice = { label: 'l1ss', dump: dump('synthetic/endpoint-l1ss'), parent: dump('synthetic/root-port-l1ss'), all: [dump('synthetic/root-port-l1ss'), dump('synthetic/endpoint-l1ss')] };
const any = { isKnownKernel: () => true, knownKernels: '' };

async function run(yaml: string, dev: SuiteDevice) {
  const tests = planTests([loadSuite(yaml, 's.yaml', any)]);
  return Promise.all(tests.map(async (t) => (await runModelTest(t, dev)).result));
}

describe('runModelTest', () => {
  it('passes what the model predicts, on every kernel', async () => {
    const rs = await run('name: s\nkernels: [6.1, 6.12, 7.1]\ncases:\n  - name: n\n    device: nvme\n    expect: {reset_method: [flr, bus], reset_works: true, reset_function_method: flr}\n', nvme);
    expect(rs.map((r) => [r.kernel, r.status])).toEqual([['6.1', 'pass'], ['6.12', 'pass'], ['7.1', 'pass']]);
    expect(rs[0].observed).toEqual({ reset_method: ['flr', 'bus'], reset_works: true, reset_function_method: 'flr' });
  });

  it('a wrong expectation fails with expected, actual and the reason', async () => {
    const [r] = await run('name: s\nkernels: [6.12]\ncases:\n  - name: n\n    device: nvme\n    reset: {flags: [no-flr, no-bus]}\n    expect: {reset_works: true, reset_method: [flr, bus]}\n', nvme);
    expect(r.status).toBe('fail');
    expect(r.checks.map(describeCheck)).toEqual([
      expect.stringMatching(/^reset_method: expected \[flr, bus\], got \[\]: .*PCI_DEV_FLAGS_NO_FLR_RESET set/),
      expect.stringMatching(/^reset_works: expected true, got false: vfio_pci_core_enable: reset_works = !pci_try_reset_function\(\) = false/),
    ]);
  });

  it('a cycle case judges the load, counts and named fields; on: differs per kernel B', async () => {
    // linux-pci.md section 5: 6.1.y reverted L1SS save/restore, so a 6.12 blob with an L1SS entry is -EINVAL there.
    const rs = await run([
      'name: s', 'kernels: [6.1.y, 7.1]', 'cases:', '  - name: c', '    device: l1ss', '    cycle: {from: 6.12}',
      '    expect: {load: ok, corrupted: 0, lost: [PCI_MSIX_FLAGS.PCI_MSIX_FLAGS_ENABLE], on: {6.1.y: {load: refused, refused: 0}}}', '',
    ].join('\n'), l1ss);
    expect(rs.map((r) => [r.id, r.status])).toEqual([['s/c@6.12->6.1.y', 'fail'], ['s/c@6.12->7.1', 'pass']]);
    const failed = rs[0].checks.filter((c) => !c.pass);
    expect(failed.map((c) => c.key)).toEqual(['lost', 'refused']);
    expect(describeCheck(failed[1])).toMatch(/^refused: expected 0, got [1-9]/);
    expect(rs[0].checks.find((c) => c.key === 'load')).toMatchObject({ pass: true, actual: 'refused', why: expect.stringMatching(/-EINVAL: no L1SS buffer/) });
  });

  it('a list of fields must match exactly, naming the extra and the missing ones', async () => {
    const [r] = await run('name: s\nkernels: [7.1]\ncases:\n  - name: c\n    device: nvme\n    cycle: {from: 6.12}\n    expect: {lost: [PCI_COMMAND.PCI_COMMAND_MASTER], fields: {NO_SUCH.FIELD: lost}}\n', nvme);
    const [lost, field] = r.checks;
    expect(describeCheck(lost)).toMatch(/^lost: expected \[PCI_COMMAND.PCI_COMMAND_MASTER\], got \[PCI_MSIX_FLAGS.PCI_MSIX_FLAGS_ENABLE\]: also lost: PCI_MSIX_FLAGS.PCI_MSIX_FLAGS_ENABLE: .*; PCI_COMMAND.PCI_COMMAND_MASTER is unchanged/);
    expect(field).toMatchObject({ pass: false, why: expect.stringMatching(/no field NO_SUCH.FIELD on this device/) });
  });

  it('vfio-lu: freeze() and its gates; another flow has none and says so', async () => {
    // sim/cycle/vfio-lu.ts: freeze() returns -EINVAL while userspace left interrupts enabled, before pci_load_saved_state.
    const [on, plain] = await run([
      'name: s', 'kernels: [7.1]', 'cases:',
      '  - name: irqs', '    device: nvme', '    cycle: {from: 6.12, flow: vfio-lu, freeze: {irqs_enabled: true}}',
      '    expect: {freeze: ok, freeze_gates: {interrupts disabled: refused, pci_clear_master: passed, nosuch: passed}}',
      '  - name: plain', '    device: nvme', '    cycle: {from: 6.12}', '    expect: {freeze: ok}', '',
    ].join('\n'), nvme);
    expect(on.checks.map((c) => [c.key, c.pass, c.actual])).toEqual([
      ['freeze', false, 'refused'], ['freeze_gates.interrupts disabled', true, 'refused'],
      ['freeze_gates.pci_clear_master', false, 'skipped'], ['freeze_gates.nosuch', false, null],
    ]);
    expect(on.checks[0].why).toMatch(/^refused at "interrupts disabled": -EINVAL: interrupts still enabled/);
    expect(on.checks[3].why).toMatch(/no gate "nosuch" in this freeze\(\): it ran interrupts disabled, /);
    expect(plain.checks[0]).toMatchObject({ pass: false, actual: null, why: expect.stringMatching(/flow plain has no freeze\(\) gates: .*flow: vfio-lu/) });
  });

  it('a model error (a drift naming a register the buffer lacks) is status error, not a crash', async () => {
    const [r] = await run('name: s\nkernels: [7.1]\ncases:\n  - name: c\n    device: nvme\n    cycle: {from: 6.12, drift: "pcie:swap(DEVCTL,NOSUCH)"}\n    expect: {load: ok}\n', nvme);
    expect(r.status).toBe('error');
    expect(r.error).toMatch(/NOSUCH/);
  });
});
