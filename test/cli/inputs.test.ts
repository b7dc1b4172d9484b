/**
 * The CLI's answers to bad input (issue 13): one line, the right exit status, no hang. In-process
 * where the check is a function; the exit codes through bin/lusim.js, several commands at once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readDumpFile } from '../../cli/args/dump-file.js';
import { checkOutPath, prepareOutDir, writeOut } from '../../cli/args/out-file.js';
import { reportError } from '../../cli/errors.js';
import { runLusim } from './in-process.js';
import { DeviceError } from '../../devices/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'lusim-test-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(f: () => unknown): { code?: string; message: string } {
  try {
    f();
    return { message: 'no error' };
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
}

describe('dump files', () => {
  it('/dev/zero is refused at once; a FIFO nobody writes to is said so at once, never waited on', () => {
    expect(errorOf(() => readDumpFile('/dev/zero')).message).toMatch(/^\/dev\/zero is not a regular file or a pipe \(a device or socket\)/);
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    expect(errorOf(() => readDumpFile(fifo)).message).toBe(`${fifo} is a pipe with nobody writing to it: start its writer first, or pipe the dump in (sudo lspci -xxxx | lusim inspect -)`);
  });
  it('a pipe is read as a dump: lusim inspect <(sudo lspci -xxxx)', () => {
    const r = spawnSync('bash', ['-c', `${process.execPath} bin/lusim.js inspect <(cat fixtures/qemu/nvme.lspci)`], { encoding: 'utf8', env: { ...process.env, LUSIM_FROM_SOURCE: '1' } });
    // Under CI=true picocolors colours even a pipe: compare the text.
    expect([r.status, stripVTControlCharacters(r.stdout).split('\n')[0]]).toEqual([0, '01:00.0 Class 0108: Device 1b36:0010']);
  });
  it('a file the OS will not read is named with the reason in words, not errno text', () => {
    const plain = join(dir, 'plain-file');
    writeFileSync(plain, '');
    expect(errorOf(() => readDumpFile(join(plain, 'config')))).toEqual({ code: 'file-unreadable', message: `cannot read ${plain}/config (a part of the path is not a directory): give a dump file` });
    // /proc/self/mem is a regular file whose read at offset 0 (unmapped) fails with EIO.
    expect(errorOf(() => readDumpFile('/proc/self/mem')).message).toBe('cannot read /proc/self/mem (an I/O error): give a dump file');
  });
  it('"-" reads the dump from standard input (lspci -xxxx | lusim inspect -), bounded like a file', () => {
    const lusim = (args: string[], input: string | Buffer) => spawnSync(process.execPath, ['bin/lusim.js', ...args], { input, env: { ...process.env, LUSIM_FROM_SOURCE: '1' }, encoding: 'utf8', maxBuffer: 1 << 24 });
    const nvme = readFileSync('fixtures/qemu/nvme.lspci');
    const inspected = lusim(['inspect', '-'], nvme);
    expect([inspected.status, stripVTControlCharacters(inspected.stdout).split('\n')[0]]).toEqual([0, '01:00.0 Class 0108: Device 1b36:0010']);
    // A device and its --parent both from one stream: it is read once.
    const sw = readFileSync('fixtures/fidelity/switch/7.x-boot-before-6.1.lspci');
    expect(stripVTControlCharacters(lusim(['cycle', '-', '-d', '03:00.0', '--parent', '-'], sw).stdout).split('\n')[0]).toBe('lusim cycle: 03:00.0 standard input below standard input 02:00.0, profile spec');
    expect(lusim(['inspect', '-'], '').stderr).toMatch(/^lusim: the dump is empty \(0 bytes\)/);
    const endless = lusim(['inspect', '-'], Buffer.alloc(65 * 1024 * 1024));
    expect([endless.status, endless.stderr.trim()]).toEqual([1, 'lusim: standard input holds more than the 64 MiB a dump can be (lspci -xxxx of 1000 functions is about 14 MiB); is it the right stream?']);
    expect(lusim(['suite', 'init', '-'], nvme).stderr).toMatch(/^lusim: a suite reads its dumps from files on every run/);
  }, 60_000);
  it('an empty file says how to capture a dump', async () => {
    const empty = join(dir, 'empty.lspci');
    writeFileSync(empty, '');
    const r = await runLusim(['inspect', empty]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the dump is empty \(0 bytes\): capture one with `lspci -s BDF -xxxx`/);
  });
  it('a file over 64 MiB is refused without reading it', () => {
    const big = join(dir, 'big');
    writeFileSync(big, '');
    spawnSync('truncate', ['-s', '65M', big]);
    expect(errorOf(() => readDumpFile(big)).message).toMatch(/is 68157440 bytes, more than the 64 MiB a dump can be/);
  });
});

describe('--out', () => {
  it('a directory, a missing parent, no permission: bad-option before any work', () => {
    expect(errorOf(() => checkOutPath(dir))).toMatchObject({ code: 'bad-option', message: expect.stringMatching(/is a directory/) });
    expect(errorOf(() => checkOutPath(join(dir, 'missing', 'r.json')))).toMatchObject({ code: 'bad-option', message: expect.stringMatching(/does not exist; create it first/) });
    const ro = join(dir, 'ro');
    mkdirSync(ro, { mode: 0o500 });
    chmodSync(ro, 0o500);
    // root ignores directory permissions (CAP_DAC_OVERRIDE): the check asks the kernel, so it agrees.
    const root = process.getuid?.() === 0;
    expect(errorOf(() => checkOutPath(join(ro, 'r.json'))).code).toBe(root ? undefined : 'bad-option');
    expect(errorOf(() => checkOutPath(join(dir, 'r.json'))).code).toBeUndefined();
  });
  it('"-" is stdout where stdout is the default (dump, suite init), and never a file named "-" elsewhere', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const dumped = await runLusim(['dump', join(cwd, 'fixtures/qemu/nvme.lspci'), '--format', 'json', '-o', '-']);
      expect([dumped.code, JSON.parse(dumped.stdout).format]).toEqual([0, 'lusim-snapshot']);
      expect((await runLusim(['suite', 'init', 'nvme', '--kernels', '6.12', '-o', '-'])).stdout).toMatch(/^# Written by lusim suite init/);
      expect(await runLusim(['cycle', '--qemu', '--out', '-'])).toMatchObject({ code: 2, stderr: 'lusim: --out -: give a file name; stdout carries this command\'s own output\n' });
      expect((await runLusim(['fuzz', '--runs', '1', '--corpus', '-'])).stderr).toBe('lusim: --corpus -: give a directory\n');
      expect(existsSync(join(dir, '-'))).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  });
  it('dump -o and suite --junit/--json/--html: a path that cannot be written is exit 2 before any work, a failed write exit 1 in one line', async () => {
    const missing = join(dir, 'no-such-dir', 'x');
    const dump = await runLusim(['dump', 'fixtures/qemu/nvme.lspci', '--format', 'lspci', '-o', missing]);
    expect(dump.code).toBe(2);
    expect(dump.stderr).toMatch(/^lusim: --out .*no-such-dir\/x: the directory .* does not exist; create it first/);
    expect((await runLusim(['dump', 'fixtures/qemu/nvme.lspci', '--format', 'lspci', '-o', '/dev/full'])).stderr).toBe('lusim: could not write --out /dev/full (the disk is full)\n');
    for (const option of ['--junit', '--json', '--html']) {
      const r = await runLusim(['suite', 'run', 'fixtures/suites/storage-fleet.yaml', option, missing]);
      expect(r.code, option).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^lusim: ${option} .*: the directory .* does not exist`));
      expect(r.stdout).toBe('');
    }
    // A directory given by mistake: the suggested file inside it fits what the option writes.
    const suggested = async (...args: string[]) => (await runLusim(args)).stderr.trim().replace(`${dir}/`, 'DIR/');
    expect(await suggested('suite', 'run', 'fixtures/suites/storage-fleet.yaml', '--junit', dir)).toBe(`lusim: --junit ${dir} is a directory: give a file name, e.g. DIR/junit.xml`);
    expect(await suggested('suite', 'run', 'fixtures/suites/storage-fleet.yaml', '--html', dir)).toMatch(/e\.g\. DIR\/report\.html$/);
    expect(await suggested('suite', 'init', 'nvme', '--out', dir)).toMatch(/e\.g\. DIR\/suite\.yaml$/);
    expect(await suggested('dump', 'fixtures/qemu/nvme.lspci', '--format', 'lspci', '-o', dir)).toMatch(/e\.g\. DIR\/dump\.lspci$/);
    const full = await runLusim(['suite', 'run', 'fixtures/suites/storage-fleet.yaml', '--junit', '/dev/full']);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/lusim: could not write --junit \/dev\/full \(the disk is full\)/);
    expect(full.stdout).toMatch(/25 tests: 25 passed/);
  }, 60_000);
  it('a write that fails (the disk is full) says so in one line and hands the report back', () => {
    const r = writeOut('/dev/full', '{}\n');
    expect(r).toEqual({ ok: false, message: 'could not write --out /dev/full (the disk is full)' });
  });
});

describe('output directories (fuzz --corpus, fidelity --out, --snapshots)', () => {
  it('missing levels are created; a file, or a place no directory can be made, is bad-option at once', () => {
    const nested = join(dir, 'corpus', 'a', 'b');
    expect(errorOf(() => prepareOutDir(nested, '--corpus')).code).toBeUndefined();
    expect(statSync(nested).isDirectory()).toBe(true);
    writeFileSync(join(dir, 'plain'), '');
    expect(errorOf(() => prepareOutDir(join(dir, 'plain'), '--corpus'))).toMatchObject({ code: 'bad-option', message: expect.stringMatching(/is not a directory/) });
    expect(errorOf(() => prepareOutDir(join(dir, 'plain', 'x'), '--corpus'))).toMatchObject({ code: 'bad-option', message: expect.stringMatching(/cannot create .*\(ENOTDIR\)/) });
    // Node 20's mkdirSync(path, { recursive: true }) never returns here (checked on 2026-12-02:
    // `lusim fuzz --corpus /proc/x` spun in mkdir until killed); one level at a time it is ENOENT.
    expect(errorOf(() => prepareOutDir('/proc/lusim-test/x', '--corpus'))).toMatchObject({ code: 'bad-option', message: '--corpus /proc/lusim-test/x: cannot create /proc/lusim-test (ENOENT): give a directory you can write' });
  });
  it('a corpus file that cannot be written is said as a corpus file', () => {
    expect(writeOut('/dev/full', '{}\n', '--corpus file')).toEqual({ ok: false, message: 'could not write --corpus file /dev/full (the disk is full)' });
  });
});

describe('a misdetected dump', () => {
  // An lspci dump with a control character in a description line is not text, so it is detected
  // as a raw config, which refuses its size. The error names the option of the command in use that
  // reads it otherwise, and that option is accepted and honoured: `cycle`'s --format is the save
  // format and `dump`'s the output format, so they name --input-format (they used to name --format,
  // which refused "lspci"). lspci's reader then says what is wrong with the text.
  const text = readFileSync('fixtures/qemu/nvme.lspci', 'utf8');
  const file = join(dir, 'control-char.lspci');
  writeFileSync(file, text.replace('Device', 'Dev\x01ice'));
  it.each([
    [['inspect', file], '--format'],
    [['reset-methods', file], '--format'],
    [['dump', file, '--format', 'json'], '--input-format'],
    [['cycle', file], '--input-format'],
    [['fuzz', '--from-dump', file, '--runs', '1', '--seed', '1'], '--input-format'],
  ])('%j names %s, which the command takes', async (args, option) => {
    const bad = await runLusim(args);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`(read as raw: detected by content; ${option} lspci or json reads it otherwise)`);
    const asked = await runLusim([...args, option, 'lspci']);
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain(`the input is not lspci text: it holds bytes that are not UTF-8 text (control characters or invalid sequences) (read as lspci: as ${option} asked)`);
  }, 60_000);
});

describe('exit codes', () => {
  it('an unknown profile or device from any layer is a usage error (2); a bad file is 1', () => {
    const quiet = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(reportError(new DeviceError('bad-profile', 'unknown profile'), false)).toBe(2);
      expect(reportError(new DeviceError('device-not-found', 'no device'), false)).toBe(2);
      expect(reportError(new DeviceError('dump-parse', 'bad dump'), false)).toBe(1);
    } finally {
      process.stderr.write = quiet;
    }
  });
  it('every bad choice exits 2 with one line (through bin/lusim.js)', async () => {
    const F = 'fixtures/qemu/e1000e.lspci';
    const run = (args: string[]) => new Promise<{ args: string[]; status: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, ['bin/lusim.js', ...args], { env: { ...process.env, LUSIM_FROM_SOURCE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      p.on('exit', (status) => resolve({ args, status, stderr }));
    });
    const cases = [
      ['cycle', F, '--from', '9.9'],
      ['inspect', F, '--profile', 'foo'],
      ['reset', F, '--method', 'foo'],
      ['inspect', F, '--device', 'bogus'],
      ['cycle', '--qemu', 'nvme', '--boot-timeout', 'abc'],
      ['cycle', '--qemu', 'nvme', '--boot-timeout', '1e9'],
      ['cycle', '--qemu', 'nvme', '--out', join(dir, 'no', 'such', 'r.json')],
    ];
    const results = await Promise.all(cases.map(run));
    for (const r of results) {
      expect({ args: r.args.join(' '), status: r.status }).toEqual({ args: r.args.join(' '), status: 2 });
      expect(r.stderr.trim().split('\n')[0]).toMatch(/^lusim: /);
    }
  }, 120_000);
});
