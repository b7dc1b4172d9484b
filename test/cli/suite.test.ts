/**
 * `lusim suite` end to end through the CLI (in this process, the model; no QEMU): the example suite passes,
 * a wrong expectation fails with exit 1 and says why in every format, a wrong file is exit 2 with
 * file:line: key, shards merge to the unsharded run, and init/--update write suites that pass.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { runLusim } from './in-process.js';

// In this process (test/cli/in-process.ts): no tsx start-up per run, which matters on a loaded
// machine. Runs are sequential: the runner captures the one process's stdout and stderr.
async function run(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await runLusim(['suite', ...args]);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}
const EXAMPLE = 'fixtures/suites/storage-fleet.yaml';
const WRONG = 'fixtures/suites/wrong-expectation.yaml';
const dir = mkdtempSync(join(tmpdir(), 'lusim-suite-'));
const json = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
const noTime = (doc: { results: { seconds: number }[] }) => ({ ...doc, results: doc.results.map(({ seconds: _s, ...r }) => r) });

interface JTestcase { '@_name': string; '@_classname': string; failure?: { '@_message': string; '#text': string } }
interface JSuite { '@_name': string; '@_tests': string; '@_failures': string; testcase: JTestcase[] }
const parseJunit = (xml: string) => {
  expect(XMLValidator.validate(xml)).toBe(true);
  return new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml).testsuites as { '@_tests': string; testsuite: JSuite[] };
};

describe('lusim suite run', () => {
  it('the example suite passes on today\'s model: exit 0, JUnit with one testsuite per kernel, KTAP, JSON', async () => {
    const junit = join(dir, 'example.xml');
    const out = join(dir, 'example.json');
    const r = await run('run', EXAMPLE, '--junit', junit, '--json', out, '--ktap');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/25 tests: 25 passed, 0 failed, 0 errors \(model\)/);
    const j = parseJunit(readFileSync(junit, 'utf8'));
    expect(j['@_tests']).toBe('25');
    expect(j.testsuite.map((s) => s['@_name'])).toEqual(['kernel 6.1', 'kernel 6.1.y', 'kernel 6.12', 'kernel 7.1']);
    expect(j.testsuite.flatMap((s) => s.testcase).map((t) => t['@_name'])).toContain('an L1SS endpoint saved by 6.12 [6.12 -> 6.1.y]');
    expect(j.testsuite.flatMap((s) => s.testcase).every((t) => t.failure === undefined && t['@_classname'] === 'storage-fleet')).toBe(true);
    const ktap = r.stdout.trimEnd().split('\n');
    expect(ktap.slice(0, 3)).toEqual(['TAP version 13', '1..25', 'ok 1 storage-fleet: nvme behind a root port [6.1]']);
    expect(ktap.at(-1)).toBe('# Totals: pass:25 fail:0 xfail:0 xpass:0 skip:0 error:0');
    const doc = json(out);
    expect(doc).toMatchObject({ format: 'lusim-suite-results/1', planned: 25, source: 'model' });
    expect(doc.results.every((x: { status: string }) => x.status === 'pass')).toBe(true);
  }, 120_000);

  it('a wrong expectation fails: exit 1, expected vs actual and why, in the summary, JUnit and KTAP', async () => {
    const junit = join(dir, 'wrong.xml');
    const r = await run('run', WRONG, '--junit', junit);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/e1000e with FLR \[6.12\].*\n\s+reset_method: expected \[flr, pm, bus\], got \[pm, bus\]: .*flr: -ENOTTY: pcie_reset_flr/);
    expect(r.stdout).toMatch(/L1SS endpoint to 6.1.y \[6.12 -> 6.1.y\].*\n\s+load: expected ok, got refused: pci_load_saved_state -EINVAL: no L1SS buffer/);
    expect(r.stdout).toMatch(/2 tests: 0 passed, 2 failed/);
    const cases = parseJunit(readFileSync(junit, 'utf8')).testsuite.flatMap((s) => s.testcase);
    expect(cases.map((c) => c.failure?.['@_message'])).toEqual(['reset_method: expected ["flr","pm","bus"], got ["pm","bus"]', 'load: expected "ok", got "refused"']);
    expect(cases[1].failure?.['#text']).toMatch(/no L1SS buffer in the new kernel/);
    const k = await run('run', WRONG, '--ktap');  // KTAP alone on stdout
    expect(k.status).toBe(1);
    expect(k.stdout).toMatch(/^# reset_method: expected \[flr, pm, bus\], got \[pm, bus\]: .*\nnot ok 1 wrong-expectation: e1000e with FLR \[6.12\]$/m);
    expect(k.stdout).toMatch(/# Totals: pass:0 fail:2 xfail:0 xpass:0 skip:0 error:0/);
  }, 120_000);

  it('--junit - writes JUnit on stdout (the summary to stderr); two documents on stdout are a usage error', async () => {
    const r = await run('run', WRONG, '--junit', '-');
    expect(r.status).toBe(1);
    expect(parseJunit(r.stdout)['@_tests']).toBe('2');
    expect(r.stderr).toMatch(/2 tests: 0 passed, 2 failed/);
    expect(await run('run', WRONG, '--ktap', '--json', '-')).toMatchObject({ status: 2, stdout: '', stderr: 'lusim: --json - and --ktap would both write to stdout: give one of them a file\n' });
    expect((await run('run', WRONG, '--junit', '-', '--json', '-', '--ktap')).stderr).toBe('lusim: --junit -, --json - and --ktap would all write to stdout: give two of them a file\n');
  }, 120_000);

  it('a wrong suite file is exit 2 with file:line: key', async () => {
    const bad = join(dir, 'bad.yaml');
    const badDevice = join(dir, 'bad-device.yaml');
    writeFileSync(bad, 'name: x\nkernels: [6.12, 8.0]\ncases:\n  - name: a\n    device: nvmee\n    expect: {reset_works: true}\n');
    writeFileSync(badDevice, 'name: x\nkernels: [6.12]\ncases:\n  - name: a\n    device: nvmee\n    expect: {reset_works: true}\n  - name: b\n    device: {dump: nowhere.lspci}\n    expect: {reset_works: true}\n');
    const [r, d, shard, absent] = [await run('run', bad), await run('run', badDevice), await run('run', EXAMPLE, '--shard', '4/3'), await run('run', join(dir, 'absent.yaml'))];
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`lusim: ${bad}:2: kernels[1]: unknown kernel "8.0"; use a kernel profile: 6.1, 6.1.y, 6.12, 6.12.y, 6.19, 7.1, 7.2, 7.3, lu-pci, or the path of a bzImage or build directory\n`);
    expect(d.status).toBe(2);
    expect(d.stderr).toMatch(new RegExp(`${badDevice}:4: cases\\[0\\].device: unknown built-in device "nvmee"; use .*nvme`));
    expect(d.stderr).toMatch(new RegExp(`${badDevice}:7: cases\\[1\\].device: no such dump file: nowhere.lspci`));
    expect(shard.status).toBe(2);
    expect(shard.stderr).toMatch(/--shard 4\/3: I must be 1..N/);
    expect(absent.status).toBe(2);
    expect(absent.stderr).toMatch(/absent.yaml:1: cannot read the suite file \(no such file\): give a suite YAML file/);
  }, 120_000);

  it('--shard I/N slices deterministically; merge joins the shards into the unsharded run', async () => {
    const whole = join(dir, 'whole.json');
    const parts = [1, 2, 3].map((i) => join(dir, `shard${i}.json`));
    const runs = [await run('run', EXAMPLE, WRONG, '--json', whole)];
    for (const [i, p] of parts.entries()) runs.push(await run('run', EXAMPLE, WRONG, '--shard', `${i + 1}/3`, '--json', p));
    // The two wrong tests are plan indexes 25 and 26: shards 2 and 3; shard 1 passes.
    expect(runs.map((x) => x.status)).toEqual([1, 0, 1, 1]);
    const sizes = parts.map((p) => json(p).results.length);
    expect(sizes).toEqual([9, 9, 9]);
    const merged = join(dir, 'merged.json');
    const junit = join(dir, 'merged.xml');
    const m = await run('merge', ...parts.reverse(), '--json', merged, '--junit', junit);
    expect(m.status).toBe(1);
    expect(noTime(json(merged))).toEqual(noTime(json(whole)));
    expect(parseJunit(readFileSync(junit, 'utf8'))['@_tests']).toBe('27');
    expect((await run('merge', parts[0], EXAMPLE)).stderr).toMatch(/cannot read .*storage-fleet.yaml as suite results: .*give files written by lusim suite run --json/);
    // A lost shard is no green run of part of the plan; the JSON files name what is missing.
    const [one, three] = [join(dir, 'shard1.json'), join(dir, 'shard3.json')];
    expect(await run('merge', three, one)).toMatchObject({ status: 2, stderr: 'lusim: the files hold 18 of the run\'s 27 tests: shard 2/3 is missing: give every shard\'s --json or --junit file\n' });
    const qemu = join(dir, 'shard3-qemu.json');
    writeFileSync(qemu, JSON.stringify({ ...json(three), source: 'model+qemu' }));
    expect((await run('merge', one, join(dir, 'shard2.json'), qemu)).stderr).toMatch(/shard3-qemu.json ran on the model and QEMU \(--qemu\), .*shard1.json on the model: merge shards of one run/);
    expect((await run('merge', one, one)).stderr).toMatch(/hold 9 of the run's 27 tests: shards 2\/3 and 3\/3 are missing/);
  }, 120_000);

  it('merge reads JUnit too: the shards\' JUnit (or JUnit and JSON mixed) merged is the unsharded run\'s JUnit and KTAP, failed checks and all', async () => {
    const noTimeXml = (p: string) => readFileSync(p, 'utf8').replace(/time="[\d.]+"/g, 'time=""');
    const [whole, wholeJson] = [join(dir, 'whole-j.xml'), join(dir, 'whole-j.json')];
    const w = await run('run', EXAMPLE, WRONG, '--junit', whole, '--json', wholeJson, '--ktap');
    const parts = [1, 2, 3].map((i) => join(dir, `shard${i}-j.xml`));
    for (const [i, p] of parts.entries()) await run('run', EXAMPLE, WRONG, '--shard', `${i + 1}/3`, '--junit', p, ...(i === 0 ? ['--json', `${p}.json`] : []));
    const merged = join(dir, 'merged-j.xml');
    const m = await run('merge', ...[...parts].reverse(), '--junit', merged, '--json', `${merged}.json`, '--ktap');
    expect(m.status).toBe(1);
    expect(noTimeXml(merged)).toBe(noTimeXml(whole));
    expect(m.stdout).toBe(w.stdout);
    // From JUnit a result has its failed checks (key, expected, actual, why), not the passing ones.
    const failed = (p: string) => json(p).results.filter((r: { status: string }) => r.status !== 'pass').map((r: { id: string; checks: { pass: boolean }[] }) => [r.id, r.checks.filter((c) => !c.pass)]);
    expect(failed(`${merged}.json`)).toEqual(failed(wholeJson));
    const mixed = join(dir, 'mixed.xml');
    await run('merge', `${parts[0]}.json`, parts[1]!, parts[2]!, '--junit', mixed);
    expect(noTimeXml(mixed)).toBe(noTimeXml(whole));
    expect((await run('merge', join(dir, 'example.xml').replace('example.xml', 'nope.xml'))).stderr).toMatch(/cannot read .*nope\.xml/);
    writeFileSync(join(dir, 'other.xml'), '<testsuites><testsuite name="x"><testcase name="y"/></testsuite></testsuites>');
    expect((await run('merge', join(dir, 'other.xml'))).stderr).toMatch(/other\.xml is not JUnit from lusim suite run --junit \(no lusim.format property/);
  }, 180_000);
});

describe('the lusim process', () => {
  it('exits 1 for a failed test and 2 for a wrong file (bin/lusim.js, not in this process)', () => {
    const bin = (...args: string[]) => spawnSync('node', ['bin/lusim.js', 'suite', ...args], { encoding: 'utf8' });
    expect(bin('run', WRONG).status).toBe(1);
    const usage = bin('run', EXAMPLE, '--no-such-option');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/unknown option '--no-such-option'/);
  }, 120_000);
});

describe('lusim suite init and --update', () => {
  it('init writes a suite of today\'s predictions that passes', async () => {
    const r = await run('init', 'nvme', 'endpoint-l1ss', '--kernels', '6.12,6.1.y', '--name', 'today');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/reset_method: \[ flr, bus \]/);
    // The L1SS endpoint's Live Update 6.12 -> 6.1.y is refused (linux-pci.md section 5), 6.1.y -> 6.1.y is not.
    expect(r.stdout).toMatch(/cycle:\n\s+to: 6.1.y\n\s+expect:\n\s+load: refused[^]*on:\n\s+6.1.y->6.1.y:\n\s+load: ok/);
    const file = join(dir, 'today.yaml');
    writeFileSync(file, r.stdout);
    const again = await run('run', file);
    expect(again.status, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/8 tests: 8 passed/);
  }, 120_000);

  it('init --out FILE writes dump paths relative to FILE (a suite reads them from its own directory), and the suite passes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lusim-suite-init-'));
    mkdirSync(join(root, 'dumps'));
    mkdirSync(join(root, 'suites'));
    copyFileSync('fixtures/qemu/nvme.lspci', join(root, 'dumps', 'nvme.lspci'));
    const out = join(root, 'suites', 'fleet.yaml');
    const r = await run('init', join(root, 'dumps', 'nvme.lspci'), '--kernels', '6.12', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/dump: \.\.\/dumps\/nvme\.lspci/);
    const again = await run('run', out);
    expect(again.status, again.stdout).toBe(0);
    // On stdout the paths are the working directory's, and the header says so.
    const text = await run('init', 'fixtures/qemu/nvme.lspci', '--kernels', '6.12');
    expect(text.stdout).toMatch(/dump: fixtures\/qemu\/nvme\.lspci/);
    expect(text.stdout).toMatch(/# Dump paths are relative to .*, where it ran: save the suite there \(or write it with --out FILE\)/);
    expect((await run('init', 'nvme', '--out', join(root, 'missing', 'x.yaml'))).status).toBe(2);
  }, 120_000);

  it('init refuses a device given twice, in any spelling, and a kernel given twice: run would refuse the suite it wrote', async () => {
    expect((await run('init', 'nvme', '--kernels', '6.1,7.1,6.1')).stderr).toBe('lusim: --kernels 6.1,7.1,6.1 names 6.1 twice: give each once\n');
    expect(await run('init', 'nvme', 'nvme')).toMatchObject({ status: 2, stderr: 'lusim: nvme is given twice: give each device once\n' });
    expect((await run('init', 'fixtures/qemu/nvme.lspci', './fixtures/qemu/nvme.lspci')).stderr).toBe('lusim: fixtures/qemu/nvme.lspci and ./fixtures/qemu/nvme.lspci are the same device: give each device once\n');
  });

  it('init on a partial dump writes only what the dump decides, and a suite expecting more is an error, not a fail', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lusim-suite-partial-'));
    // lspci -x, as a non-root user gets it: the capability list (and DEVCAP, which the flr probe
    // reads) is past the 64 bytes, so no kernel's reset_method is decided (docs/real-hardware.md).
    writeFileSync(join(root, 'x.lspci'), readFileSync('fixtures/qemu/e1000e.lspci', 'utf8').split('\n').slice(0, 5).join('\n'));
    const out = join(root, 'fleet.yaml');
    const r = await run('init', join(root, 'x.lspci'), '--kernels', '6.12,7.1', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^lusim: note: .*x\.lspci: reset: left out: the dump cannot tell its reset \(flr: pcie_reset_flr reads dev->devcap/m);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toMatch(/reset_works|reset_method/);
    expect(text).toMatch(/# .*x\.lspci: reset: left out/);
    expect(text).toMatch(/live update to 7\.1/);
    expect((await run('run', out)).status).toBe(0);
    // A team that pins reset_works on such a dump learns the dump cannot say, not "got false".
    writeFileSync(join(root, 'pinned.yaml'), 'name: t\nkernels: ["6.12"]\ncases:\n  - name: x reset\n    device:\n      dump: x.lspci\n    expect:\n      reset_works: true\n');
    const pinned = await run('run', join(root, 'pinned.yaml'));
    expect(pinned.status).toBe(1);
    expect(pinned.stdout).toMatch(/error: the device's dump cannot tell reset_works \(flr: .*\): capture its whole config space/);
    expect(pinned.stdout).toMatch(/0 passed, 0 failed, 1 errors/);
  }, 120_000);

  it('--update rewrites the expectations that changed, keeping comments, then the suite passes', async () => {
    const file = join(dir, 'wrong.yaml');
    copyFileSync(WRONG, file);
    expect((await run('run', file, '--update')).status).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# A deliberately wrong suite/);
    expect(text).toMatch(/reset_method: \[ pm, bus \]/);
    expect(text).toMatch(/load: refused/);
    expect((await run('run', file)).status).toBe(0);
  }, 120_000);

  it('--update with --qemu is a usage error: the expectations are the model\'s to write', async () => {
    const r = await run('run', WRONG, '--update', '--qemu');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--update writes the model's predictions: drop --qemu/);
  });

  it('--qemu without QEMU: exit 2 with one line saying how to install it, before any guest boots', async () => {
    const saved = process.env.LUSIM_QEMU;
    process.env.LUSIM_QEMU = '/nonexistent/qemu-system-x86_64';
    try {
      const r = await run('run', EXAMPLE, '--qemu');
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toBe('lusim: --qemu: /nonexistent/qemu-system-x86_64 was not found. Install QEMU with: apt-get install qemu-system-x86 (or set LUSIM_QEMU)');
    } finally {
      if (saved === undefined) delete process.env.LUSIM_QEMU; else process.env.LUSIM_QEMU = saved;
    }
  });
});

describe('lusim suite run --html', () => {
  it('writes one self-contained page: a row per test, per cycle a 4096-cell map per function and the timeline', async () => {
    const page = join(dir, 'report.html');
    expect((await run('run', EXAMPLE, '--html', page)).status).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(XMLValidator.validate(html)).toBe(true);
    const tree = new XMLParser({ ignoreAttributes: false, isArray: (_n, _p, _leaf, isAttribute) => !isAttribute }).parse(html);
    const body = tree.html[0].body[0];
    expect(body.table[0].tbody[0].tr).toHaveLength(25);
    const sections = body.section as { h2: string[]; div: { span: { '@_class': string; '@_title': string }[] }[]; table: { tbody: { tr: unknown[] }[] }[] }[];
    expect(sections).toHaveLength(9); // 1 + 4 (the L1SS case on each kernel) + 1 + 1 + 2 (vfio-lu) cycle tests
    for (const s of sections) {
      expect(s.div.length).toBeGreaterThanOrEqual(1);
      for (const d of s.div) expect(d.span).toHaveLength(4096);
      expect(s.table[0].tbody[0].tr.length).toBeGreaterThan(10);
    }
    const drift = sections.find((s) => s.h2[0].includes('a drifted EXP layout'))!;
    const corrupted = drift.div[0].span.filter((x) => x['@_class'].startsWith('v-corrupted'));
    expect(corrupted.length).toBeGreaterThan(0);
    expect(corrupted.some((x) => /PCI_EXP_DEVCTL.PCI_EXP_DEVCTL_URRE \[3\] corrupted: .*pci_restore_pcie_state/.test(x['@_title']))).toBe(true);
  }, 120_000);
});
