/**
 * `lusim fuzz` end to end through the CLI (tsx, no QEMU): exit codes, the corpus, that every
 * saved command really shows its finding again (judged by the same oracles), and that --jobs 2
 * gives exactly the findings of --jobs 1.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CorpusRecord } from '../../sim/fuzz/corpus.js';
import { judgeCycle } from '../../sim/fuzz/oracles.js';
import { signatureOf } from '../../sim/fuzz/signature.js';
import { runSignalled } from './signalled.js';

const lusim = (...args: string[]) => spawnSync('npx', ['tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });

/** Runs a corpus record's command (its words, unquoted) and returns the signatures its result shows. */
function reproduce(r: CorpusRecord): string[] {
  const words = [...r.command.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] ?? m[2]).replace(/'\\''/g, "'"));
  expect(words.slice(0, 2)).toEqual(['lusim', 'cycle']);
  const out = lusim(...words.slice(1));
  expect(out.status, out.stderr).toBe(0);
  const result = JSON.parse(out.stdout);
  return judgeCycle(result).map((f) => signatureOf({ ...result.options, drift: result.options.drift }, f));
}

describe('lusim fuzz', () => {
  const corpus = mkdtempSync(join(tmpdir(), 'lusim-fuzz-'));
  const args = ['fuzz', '--seed', '3', '--runs', '40', '--kernels', '7.1', '--formats', 'linux-blob', '--flows', 'plain', '--shrink-budget', '40'];

  it('exit 1 when a must-hold oracle fails: a planted bug (kernel B silently drifted) is caught by identity', () => {
    const out = lusim(...args, '--plant', 'pcie:swap(DEVCTL,LNKCTL)', '--no-shrink', '--json');
    const summary = JSON.parse(out.stdout);
    expect(summary.failed).toBe(true);
    expect(summary.byClass['identity/corrupted']).toBeGreaterThan(0);
    expect(out.status).toBe(1);
  }, 120_000);

  it('each distinct finding is saved as dump + JSON whose command reproduces it', () => {
    const out = lusim(...args, '--corpus', corpus, '--json');
    const summary = JSON.parse(out.stdout);
    expect(out.status).toBe(summary.failed ? 1 : 0);
    const records: CorpusRecord[] = summary.findings;
    expect(records.length).toBeGreaterThan(3);
    expect(new Set(records.map((r) => r.signature)).size).toBe(records.length);
    expect(readdirSync(corpus).sort()).toEqual(records.flatMap((r) => [`${r.id}.json`, `${r.id}.lspci`]).sort());
    for (const r of records) expect(JSON.parse(readFileSync(join(corpus, `${r.id}.json`), 'utf8'))).toEqual(r);
    // Every must-hold finding and one of each hazard class, through a fresh `lusim cycle`.
    const sample = records.filter((r, i) => r.mustHold || records.findIndex((x) => x.kind === r.kind) === i);
    for (const r of sample) expect(reproduce(r)).toContain(r.signature);
  }, 240_000);

  it('--replay runs every record again: all still show; a changed one is GONE, a broken file is said, exit 1', () => {
    const own = mkdtempSync(join(tmpdir(), 'lusim-replay-'));
    expect(lusim('fuzz', '--seed', '3', '--runs', '12', '--kernels', '6.12,7.1', '--corpus', own).status).toBe(0);
    const ok = lusim('fuzz', '--replay', own, '--json');
    expect(ok.status, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout);
    const records = readdirSync(own).filter((f) => f.endsWith('.json'));
    expect(records.length).toBeGreaterThan(2);
    expect(report).toMatchObject({ records: records.length, still: records.length, gone: [], bad: [] });
    const copy = mkdtempSync(join(tmpdir(), 'lusim-replay-'));
    cpSync(own, copy, { recursive: true });
    const changed = JSON.parse(readFileSync(join(copy, records[0]), 'utf8'));
    writeFileSync(join(copy, records[0]), JSON.stringify({ ...changed, signature: `${changed.signature}X` }));
    writeFileSync(join(copy, 'broken.json'), '{ "id": ');
    const out = lusim('fuzz', '--replay', copy);
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(new RegExp(`${records.length} records run again, ${records.length - 1} still show their finding, 1 do not`));
    expect(out.stdout).toMatch(/^GONE .*X$/m);
    expect(out.stdout).toMatch(/broken\.json: not JSON/);
    expect(lusim('fuzz', '--replay', join(copy, 'missing')).stderr).toMatch(/no such directory: give the --corpus directory/);
    expect(lusim('fuzz', '--replay', copy, '--runs', '3').status).toBe(2);
  }, 240_000);

  it('--replay of records found around a --from-dump device needs that dump again', () => {
    const own = mkdtempSync(join(tmpdir(), 'lusim-replay-seed-'));
    const seedArgs = ['--from-dump', 'fixtures/qemu/nvme.lspci', '--kernels', '6.12,7.1', '--formats', 'linux-blob'];
    expect(lusim('fuzz', '--seed', '4', '--runs', '8', ...seedArgs, '--corpus', own).status).toBe(0);
    const records = readdirSync(own).filter((f) => f.endsWith('.json')).length;
    expect(records).toBeGreaterThan(0);
    const without = lusim('fuzz', '--replay', own);
    expect(without.status).toBe(1);
    expect(without.stdout).toMatch(/found around a --from-dump device: replay it with the same --from-dump FILE/);
    // A record holds its kernels and format: a replay takes only the dump (and --input-format, --device).
    const withDump = JSON.parse(lusim('fuzz', '--replay', own, '--from-dump', 'fixtures/qemu/nvme.lspci', '--json').stdout);
    expect(withDump).toMatchObject({ records, still: records, bad: [] });
  }, 240_000);

  it('exit 0 when only linux-blob hazards are found', () => {
    const out = lusim(...args, '--oracle', 'linux-blob', '--no-shrink', '--json');
    const summary = JSON.parse(out.stdout);
    expect(summary.findings.length).toBeGreaterThan(0);
    expect(summary.failed).toBe(false);
    expect(out.status).toBe(0);
  }, 120_000);

  it('--jobs 2 gives the findings of --jobs 1, shrunk the same', () => {
    const one = JSON.parse(lusim(...args, '--jobs', '1', '--json').stdout);
    const two = JSON.parse(lusim(...args, '--jobs', '2', '--json').stdout);
    expect(two.cases).toBe(one.cases);
    expect(two.findings).toEqual(one.findings);
    // Every cycle's outcome by kind of change: the same sums, in the same order.
    expect(Object.keys(one.byChange).length).toBeGreaterThan(2);
    expect(JSON.stringify(two.byChange)).toBe(JSON.stringify(one.byChange));
  }, 240_000);

  it('--oracle personality on a QEMU dump: both personalities run and agree (exit 0); without one it says it checks nothing', () => {
    const out = lusim('fuzz', '--from-dump', 'fixtures/qemu/e1000e.lspci', '--oracle', 'personality', '--seed', '5', '--runs', '30', '--kernels', '6.12,7.2', '--json');
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ cases: 30, oracles: ['personality'], personality: 'qemu-7.2-e1000e', failed: false, findings: [] });
    const none = lusim('fuzz', '--oracle', 'personality', '--runs', '3', '--json');
    expect(none.stderr).toMatch(/personality oracle applies only with --from-dump of a QEMU 7.2 device/);
  }, 120_000);

  it('--from-dump of a partial dump says what the fuzzed devices lack; a whole dump says nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-fuzz-partial-'));
    const head = join(dir, 'e1000e-256.lspci');
    // lspci -xxx: the header line and rows 0x00-0xf0.
    writeFileSync(head, readFileSync('fixtures/qemu/e1000e.lspci', 'utf8').split('\n').slice(0, 17).join('\n'));
    const part = lusim('fuzz', '--from-dump', head, '--seed', '1', '--runs', '3', '--json');
    expect(part.status, part.stderr).toBe(0);
    expect(part.stderr).toMatch(/^lusim: note: .*e1000e-256\.lspci: partial dump: 256 of the function's 4096 config bytes captured .* take the bytes it lacks as 0/m);
    const whole = lusim('fuzz', '--from-dump', 'fixtures/qemu/e1000e.lspci', '--seed', '1', '--runs', '3', '--json');
    expect(whole.stderr).not.toMatch(/partial dump/);
  }, 120_000);

  it('usage errors exit 2 with a one-line message', () => {
    for (const bad of [['--runs', '5', '--time', '1s'], ['--kernels', '5.4'], ['--jobs', '0'], ['--time', 'soon'], ['--time', '0s'], ['--oracle', 'vibes'], ['--plant', 'pcie:twist'], ['--jobs', '65'], ['--seed', '4294967296'], ['--qemu', '99999999999999999999']]) {
      const out = lusim('fuzz', ...bad);
      expect(out.status, bad.join(' ')).toBe(2);
      expect(out.stderr.trim().split('\n')[0]).toMatch(/^lusim: /);
    }
    // With --json a script reads the error on stdout too, as from every other command.
    const json = lusim('fuzz', '--jobs', '0', '--json');
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ code: 'bad-option', message: '--jobs must be a whole number from 1 to 64, got "0"' });
  }, 120_000);

  it('--qemu with kernels the cache lacks: exit 2 before the campaign, naming them and the fetch command (samples never fetch)', () => {
    // LUSIM_QEMU: any executable passes the QEMU check before this one, installed QEMU or not.
    const out = spawnSync('npx', ['tsx', 'cli/main.ts', 'fuzz', '--seed', '55', '--runs', '1', '--oracle', 'qemu', '--qemu', '2', '--kernels', '6.12.y,7.3'], { encoding: 'utf8', env: { ...process.env, LUSIM_QEMU: '/bin/sh', XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'lusim-empty-cache-')) } });
    expect(out.status).toBe(2);
    expect(out.stderr.trim().split('\n')[0]).toBe('lusim: --qemu: the 2 samples boot kernels 6.12, 7.3, not in the cache: run `lusim kernels fetch 6.12 7.3 --module`, or narrow --kernels');
    expect(out.stdout).toBe('');
  }, 60_000);

  it('--qemu without QEMU: exit 2 before the campaign, saying how to install it (no run-failed finding per sample)', () => {
    const out = spawnSync('npx', ['tsx', 'cli/main.ts', 'fuzz', '--seed', '55', '--runs', '1', '--oracle', 'qemu', '--qemu', '2'], { encoding: 'utf8', env: { ...process.env, LUSIM_QEMU: '/nonexistent/qemu-system-x86_64' } });
    expect(out.status).toBe(2);
    expect(out.stderr.trim().split('\n')[0]).toBe('lusim: --qemu: /nonexistent/qemu-system-x86_64 was not found. Install QEMU with: apt-get install qemu-system-x86 (or set LUSIM_QEMU)');
    expect(out.stdout).toBe('');
  }, 60_000);

  it('a --corpus that cannot be made: exit 2 before the campaign, one line (it used to hang in mkdir under /proc, and to fail after the run elsewhere)', () => {
    for (const [dir, why] of [['/proc/lusim-corpus', 'ENOENT'], ['/dev/null/corpus', 'ENOTDIR']]) {
      const out = spawnSync('npx', ['tsx', 'cli/main.ts', 'fuzz', '--seed', '1', '--runs', '5', '--corpus', dir], { encoding: 'utf8', timeout: 30_000 });
      expect(out.status).toBe(2);
      expect(out.stderr.trim()).toBe(`lusim: --corpus ${dir}: cannot create ${dir} (${why}): give a directory you can write`);
      expect(out.stdout).toBe('');
    }
  }, 60_000);

  /** `lusim fuzz ARGS`, sent `sig` once its first progress line is out. */
  const interrupted = (sig: NodeJS.Signals, args: string[]) => runSignalled(args, sig, { when: /cycles, \d+\/s|broken layouts/, fallbackMs: 20_000 });

  it('Ctrl-C (SIGINT) stops a long run and keeps its findings: the summary and the corpus, unshrunk, exit 130 (it used to die with nothing)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-fuzz-int-'));
    const t0 = Date.now();
    const out = await interrupted('SIGINT', ['fuzz', '--seed', '1', '--time', '5m', '--corpus', dir]);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(out.status, out.stderr).toBe(130);
    expect(out.stderr).toMatch(/lusim fuzz: SIGINT: stopping after the cases in hand/);
    expect(out.stdout).toMatch(/^lusim fuzz \(semantic\): seed 1, \d+ cases/);
    expect(out.stdout).toMatch(/not shrunk \(SIGINT stopped the run\)/);
    expect(out.stdout).toMatch(/exit 130: stopped by SIGINT; no must-hold oracle failed in what ran\n$/);
    const found = Number(/(\d+) distinct findings/.exec(out.stdout)![1]);
    expect(found).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(found);
  }, 120_000);

  it('SIGTERM (a CI time limit) stops the malformed campaign with its summary, exit 143', async () => {
    const out = await interrupted('SIGTERM', ['fuzz', '--campaign', 'malformed', '--seed', '2', '--time', '5m', '--json']);
    expect(out.status, out.stderr).toBe(143);
    expect(JSON.parse(out.stdout)).toMatchObject({ campaign: 'malformed', interrupted: 'SIGTERM', failed: false });
  }, 120_000);

  it('the malformed campaign reports typed errors only', () => {
    const out = lusim('fuzz', '--campaign', 'malformed', '--seed', '2', '--runs', '100', '--json');
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ campaign: 'malformed', cases: 100, failed: false, findings: [] });
  }, 120_000);
});
