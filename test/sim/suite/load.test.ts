/**
 * The suite loader (sim/suite/load.ts): the JSON Schema is enforced, and every error names the
 * file, the line and the key, with what to write instead; all errors of a file come at once.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KERNEL_PROFILE_IDS } from '../../../sim/linux/profiles.js';
import { SuiteError, type SuiteIssue } from '../../../sim/suite/errors.js';
import { loadSuite } from '../../../sim/suite/load.js';

const opts = { isKnownKernel: (k: string) => KERNEL_PROFILE_IDS.includes(k), knownKernels: KERNEL_PROFILE_IDS.join(', ') };

function issues(text: string): SuiteIssue[] {
  try {
    loadSuite(text, 'bad.yaml', opts);
  } catch (e) {
    expect(e).toBeInstanceOf(SuiteError);
    return [...(e as SuiteError).issues];
  }
  throw new Error('the suite loaded');
}

const head = 'name: s\nkernels: [6.1, 6.12]\ncases:\n';

describe('loadSuite', () => {
  it('loads the example suite, keeping kernel versions as written (6.1, not the number 6.1)', () => {
    const s = loadSuite(readFileSync('fixtures/suites/storage-fleet.yaml', 'utf8'), 'fixtures/suites/storage-fleet.yaml', opts);
    expect(s.kernels).toEqual(['6.1', '6.1.y', '6.12', '7.1']);
    expect(s.cases).toHaveLength(10);
    const l1ss = s.cases.find((c) => c.name === 'an L1SS endpoint saved by 6.12')!;
    expect(l1ss.cycle).toEqual({ from: '6.12' });
    expect(Object.keys(l1ss.on)).toEqual(['6.1.y']);
    expect(s.cases[2].device).toEqual({ kind: 'dump', file: '../qemu/virtio-net.lspci' });
  });

  it('6.10 stays "6.10" (YAML 1.2 would read the float 6.1)', () => {
    const s = loadSuite(`name: s\nkernels: [6.10]\ncases:\n  - {name: a, device: nvme, expect: {reset_works: true}}\n`, 'f.yaml', { isKnownKernel: () => true, knownKernels: '' });
    expect(s.kernels).toEqual(['6.10']);
  });

  it('an unknown key names its line and lists the keys that exist', () => {
    const [i, ...rest] = issues(`${head}  - name: a\n    device: nvme\n    expect:\n      reset_wroks: true\n`);
    expect(rest).toEqual([]);
    expect(i).toMatchObject({ file: 'bad.yaml', line: 7, key: 'cases[0].expect.reset_wroks' });
    expect(i.message).toMatch(/unknown key; use one of reset_method, reset_works, reset_function_method/);
  });

  it('a wrong type, a bad enum value and a missing key, all at once, each at its line', () => {
    const got = issues(`${head}  - name: a\n    device: nvme\n    expect:\n      reset_works: yes please\n  - name: b\n    device: nvme\n    expect:\n      reset_method: [flr, warm]\n  - name: c\n    expect: {reset_works: true}\n`);
    expect(got.map((i) => [i.line, i.key])).toEqual([[7, 'cases[0].expect.reset_works'], [11, 'cases[1].expect.reset_method[1]'], [12, 'cases[2]']]);
    expect(got[0].message).toBe('must be a boolean, not "yes please"');
    expect(got[1].message).toMatch(/"warm" is not allowed; use one of device_specific, acpi, flr/);
    expect(got[2].message).toBe('missing required key "device"');
  });

  it('a device that fits none of its forms says which forms there are', () => {
    const [i] = issues(`${head}  - name: a\n    device: {file: x.lspci}\n    expect: {reset_works: true}\n`);
    expect(i).toMatchObject({ line: 5, key: 'cases[0].device' });
    expect(i.message).toMatch(/must be a built-in device .*\{dump: FILE, bdf: "01:00.0"\}/);
  });

  it('unknown kernels, duplicate names, and expectations of the wrong kind of case', () => {
    const got = issues(`name: s\nkernels: [6.1, 5.4]\ncases:\n  - name: a\n    device: nvme\n    expect: {load: ok}\n  - name: a\n    device: nvme\n    cycle: {to: 6.12}\n    expect:\n      reset_works: true\n      on: {7.1: {load: ok}}\n`);
    expect(got.map((i) => `${i.line} ${i.key}`)).toEqual(['2 kernels[1]', '6 cases[0].expect.load', '7 cases[1].name', '11 cases[1].expect.reset_works', '12 cases[1].expect.on.7.1']);
    expect(got[0].message).toMatch(/unknown kernel "5.4"; use 6.1, 6.1.y/);
    expect(got[1].message).toMatch(/is a cycle expectation: add cycle/);
    expect(got[2].message).toMatch(/already the name of cases\[0\]/);
    expect(got[4].message).toMatch(/kernel "7.1" is not one this case runs on \(6.12, 6.1->6.12, 5.4->6.12\)/);
  });

  it('a case that expects nothing is an error (lusim suite init writes expectations)', () => {
    expect(issues(`${head}  - {name: a, device: nvme, expect: {}}\n`)[0].message).toMatch(/expects nothing/);
  });

  it('a drift that does not parse is a file error at its line', () => {
    const [i] = issues(`${head}  - name: a\n    device: nvme\n    cycle:\n      drift: "pcie:???"\n    expect: {load: ok}\n`);
    expect(i).toMatchObject({ line: 7, key: 'cases[0].cycle.drift', message: expect.stringMatching(/drift "pcie:\?\?\?" not understood/) });
  });

  it('broken YAML is reported at its line', () => {
    const [i] = issues('name: s\nkernels: [6.1\ncases: []\n');
    expect(i.message).toMatch(/^not valid YAML/);
    expect(i.line).toBeGreaterThanOrEqual(2);
  });

  it('the message is file:line: key: what to do', () => {
    try {
      loadSuite(`${head}  - {name: a, device: nvme, expect: {reset_works: 1}}\n`, 'x.yaml', opts);
    } catch (e) {
      expect((e as Error).message).toBe('x.yaml:4: cases[0].expect.reset_works: must be a boolean, not 1');
    }
    expect.assertions(1);
  });
});
