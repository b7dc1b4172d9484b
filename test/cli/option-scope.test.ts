/**
 * Options a run does not read are usage errors naming where they apply (cli/args/option-scope.ts),
 * and the matrix reads the options every cell's cycle can share: each cell is the single cycle
 * with the same options.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { givenFlags, refuseUnread, watchNegationPair } from '../../cli/args/option-scope.js';
import { runLusim } from './in-process.js';

const parsed = (args: string[]): Command => {
  const cmd = new Command('t').option('--snapshots <dir>').option('--no-snapshots').option('--kernels <list>').option('--jobs <n>', '', '1').exitOverride();
  return cmd.parse(args, { from: 'user' });
};

describe('givenFlags and refuseUnread', () => {
  it('tells an option from its negation and a default from a typed value', () => {
    expect([...givenFlags(parsed(['--no-snapshots']))]).toEqual(['--no-snapshots']);
    expect([...givenFlags(parsed(['--snapshots', 'd']))]).toEqual(['--snapshots']);
    expect([...givenFlags(parsed([]))]).toEqual([]);
    expect([...givenFlags(parsed(['--jobs', '1']))]).toEqual(['--jobs']);
  });

  it('names every unread flag of the first scope that does not apply', () => {
    const cmd = parsed(['--kernels', 'x', '--jobs', '2']);
    expect(() => refuseUnread(cmd, [{ flags: ['--kernels', '--jobs'], applies: false, where: 'with --matrix' }])).toThrow('--kernels and --jobs apply only with --matrix: drop them');
    expect(() => refuseUnread(cmd, [{ flags: ['--kernels'], applies: true, where: 'x' }, { flags: ['--snapshots'], applies: false, where: 'y' }])).not.toThrow();
  });

  it('refuses a scope table that names an undeclared flag (a typo, not user input)', () => {
    expect(() => refuseUnread(parsed([]), [{ flags: ['--kernel'], applies: false, where: 'x' }])).toThrow(/does not declare/);
  });
});

describe('watchNegationPair', () => {
  const check = (args: string[]) => {
    const cmd = new Command('t').exitOverride();
    const refuse = watchNegationPair(cmd, '--snapshots', '--no-snapshots');
    cmd.option('--snapshots <dir>').option('--no-snapshots').parse(args, { from: 'user' });
    return refuse;
  };
  it('refuses a run that typed an option and its negation, in either order; one alone passes', () => {
    for (const args of [['--snapshots', 'd', '--no-snapshots'], ['--no-snapshots', '--snapshots', 'd']]) expect(check(args)).toThrow('--snapshots and --no-snapshots contradict each other: give one of them');
    for (const args of [['--snapshots', 'd'], ['--no-snapshots'], []]) expect(check(args)).not.toThrow();
  });
  it('lusim fidelity: the clash is a usage error before any boot', async () => {
    const r = await runLusim(['fidelity', '--snapshots', mkdtempSync(join(tmpdir(), 'lusim-snap-')), '--no-snapshots']);
    expect([r.code, r.stderr.trim()]).toEqual([2, 'lusim: --snapshots and --no-snapshots contradict each other: give one of them']);
  });
});

describe('lusim cycle: options the run does not read', () => {
  it.each([
    [['cycle', 'e1000e', '--kernels', '6.1'], '--kernels applies only with --matrix'],
    [['cycle', 'e1000e', '--out', 'x.json'], '--out applies only with --qemu'],
    [['cycle', 'e1000e', '--irqs-enabled'], '--irqs-enabled applies only with --flow vfio-lu'],
    [['cycle', 'e1000e', '--matrix', '--all'], '--all applies only to one cycle, not with --matrix'],
    [['cycle', 'e1000e', '--matrix', '--no-preserve'], '--no-preserve applies only to one cycle'],
    [['cycle', 'e1000e', '--qemu', '--reset', 'flr', '--as-found'], '--reset and --as-found apply only to the model, not with --qemu'],
    [['cycle', 'nvme', '--qemu', '--device', 'e1000e'], '"nvme" and --device both name the real cycle\'s devices'],
    [['cycle', 'nvme', '--topology', 'switch'], '"nvme" and --topology both name the real cycle\'s devices'],
  ])('%j is a usage error', async (args, message) => {
    const r = await runLusim(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });
});

describe('comma-separated lists: empty, or naming one thing twice', () => {
  it.each([
    [['cycle', 'e1000e', '--matrix', '--kernels', ''], 'lusim: --kernels "" names no kernel: use 6.1, '],
    [['cycle', 'e1000e', '--matrix', '--kernels', '6.1,7.1,6.1'], 'lusim: --kernels 6.1,7.1,6.1 names 6.1 twice: give each once'],
    // fuzz: a repeated kernel would weigh more in the case space, so the seed would draw other cases.
    [['fuzz', '--runs', '1', '--kernels', '6.12,6.12'], 'lusim: --kernels 6.12,6.12 names 6.12 twice: give each once'],
    [['fuzz', '--runs', '1', '--oracle', 'identity,identity'], 'lusim: --oracle identity,identity names identity twice: give each once'],
  ])('%j is a usage error', async (args, message) => {
    const r = await runLusim(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('lusim fuzz: options the run does not read', () => {
  it.each([
    [['fuzz', '--campaign', 'malformed', '--jobs', '2'], '--jobs applies only to the semantic campaign, not with --campaign malformed'],
    [['fuzz', '--campaign', 'malformed', '--qemu', '2'], '--qemu applies only to the semantic campaign'],
    [['fuzz', '--replay', '.', '--kernels', '7.3', '--seed', '1'], '--seed, --runs and --kernels apply only to a campaign, not with --replay'],
    [['fuzz', '--device', '01:00.0'], '--device applies only with --from-dump'],
    [['fuzz', '--qemu-shrink-budget', '4'], '--qemu-shrink-budget applies only with --qemu N'],
    [['fuzz', '--no-qemu-trace'], "--no-qemu-trace applies only with --qemu N (it compares the real samples' write traces)"],
  ])('%j is a usage error', async (args, message) => {
    const r = await runLusim([...args, '--runs', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('the malformed campaign still reads --seed, --kernels and --formats', async () => {
    const r = await runLusim(['fuzz', '--campaign', 'malformed', '--runs', '3', '--seed', '3', '--kernels', '6.1', '--formats', 'lusim-v1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ seed: 3, campaign: 'malformed', cases: 3 });
  });
});

describe('reset-methods, inspect, dump, suite and bad choices', () => {
  it.each([
    [['reset-methods', 'fixtures/qemu/e1000e.lspci', '--qemu', 'e1000e', '--kernel', '6.12'], 'read no dump: drop fixtures/qemu/e1000e.lspci'],
    [['reset-methods', '--qemu', 'e1000e', '--kernel', '6.12', '--slot', 'reset-op'], '--slot applies only to a dump, not with --qemu'],
    [['inspect', 'fixtures/qemu/e1000e.lspci', '--bdf', '03:00.0'], '--bdf gives a raw binary dump its address; fixtures/qemu/e1000e.lspci is lspci text'],
    [['dump', 'fixtures/qemu/e1000e.lspci', '--bdf', '03:00.0', '--format', 'json'], 'drop --bdf (--device picks one)'],
    [['suite', 'run', 'fixtures/suites/storage-fleet.yaml', '--jobs', '2'], '--jobs applies only with --qemu'],
    [['suite', 'init', 'nvme', '--kernels', ','], '--kernels "," names no kernel'],
    [['cycle', 'e1000e', '--drift', 'bogus'], 'drift "bogus" not understood'],
    [['cycle', '--qemu', '--device', 'bogus'], 'unknown device "bogus"'],
    [['inspect', 'fixtures/qemu/e1000e.lspci', '--fields', '--json'], '--fields applies only to the text output (--json lists every field always): drop it'],
  ])('%j is a usage error before any boot', async (args, message) => {
    const r = await runLusim(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('--bdf on a raw dump', () => {
  it('gives the raw function its address', async () => {
    const raw = join(mkdtempSync(join(tmpdir(), 'lusim-bdf-')), 'e1000e.raw');
    expect((await runLusim(['dump', 'fixtures/qemu/e1000e.lspci', '--format', 'raw', '-o', raw])).code).toBe(0);
    const r = await runLusim(['inspect', raw, '--bdf', '03:00.0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0].bdf).toBe('03:00.0');
  });
});

type Cell = { from: string; to: string; flow: string; format: string; counts: Record<string, number>; problems: unknown[] };

async function json<T>(args: string[]): Promise<T> {
  const r = await runLusim([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

describe('lusim cycle --matrix shares the cycle options with every cell', () => {
  const matrix = (extra: string[]) => json<{ cells: Cell[]; cycleOptions?: Record<string, unknown> }>(['cycle', 'nvme', '--matrix', '--kernels', '6.12,7.1', ...extra]);
  const cell = (cells: Cell[], to: string, flow: string, format: string) => cells.find((c) => c.from === '6.12' && c.to === to && c.flow === flow && c.format === format)!;

  it('runs each cell as the single cycle with the same --reset and --no-driver', async () => {
    const options = ['--reset', 'bus', '--no-driver'];
    const [plain, shared] = [await matrix([]), await matrix(options)];
    expect(shared.cycleOptions).toEqual({ reset: 'bus', operational: 'enumerated' });
    const one = await json<{ counts: Record<string, number> }>(['cycle', 'nvme', '--from', '6.12', '--to', '7.1', '--flow', 'plain', '--format', 'linux-blob', ...options]);
    expect(cell(shared.cells, '7.1', 'plain', 'linux-blob').counts).toEqual(one.counts);
    // Without the options the cell is another cycle: the test can tell the two apart.
    expect(cell(plain.cells, '7.1', 'plain', 'linux-blob').counts).not.toEqual(one.counts);
  });

  it('narrows its columns to a --flow and --format given', async () => {
    const m = await matrix(['--flow', 'rfc-2025', '--format', 'lusim-v1']);
    expect(m.cells.map((c) => `${c.from}>${c.to} ${c.flow}/${c.format}`)).toEqual(['6.12>6.12 rfc-2025/lusim-v1', '6.12>7.1 rfc-2025/lusim-v1', '7.1>6.12 rfc-2025/lusim-v1', '7.1>7.1 rfc-2025/lusim-v1']);
  });

  it('says in the table what every cell shares', async () => {
    const r = await runLusim(['cycle', 'nvme', '--matrix', '--kernels', '7.1', '--flow', 'vfio-lu', '--freeze-d3hot']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('every cell: the device in D3hot at the kexec');
    expect(r.stdout).toMatch(/7\.1 -> 7\.1 +EINVAL/);
  });
});
