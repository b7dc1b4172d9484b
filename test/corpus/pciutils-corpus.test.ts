/**
 * The real-hardware corpus: every dump in pciutils' tests/ (Debian's pciutils source package,
 * fetched by `lusim corpus fetch`, which npm test's set-up runs; never committed). For every
 * function of every file:
 *  - the capability list (offsets, standard/extended, versions) equals what Debian's
 *    `lspci -F FILE -vvv` decodes, and the config-space size lusim gives the function decides, as
 *    for lspci and Linux (pci_cfg_space_size), whether extended capabilities are shown at all;
 *  - no walker finding of severity error unless Linux itself would misread the chain;
 *  - reset-methods, cycle --as-found (linux-blob and lusim-v1) and reset run without an internal error.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../devices/device.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import { parseLspci } from '../../devices/dump/lspci.js';
import { cacheRoot } from '../../kexec/kernels.js';
import { cachedCorpus } from '../../kexec/pciutils-corpus.js';
import { runLusim } from '../cli/in-process.js';

interface Cap { ext: boolean; offset: number; version?: number }

const corpus = cachedCorpus(cacheRoot());
if (!corpus && process.env.CI === 'true') throw new Error('the pciutils corpus is not cached: run `lusim corpus fetch` (npm test does)');

/** lspci -F FILE -vvv, split per function: "BB:DD.F ..." starts one, capability lines inside. */
function lspciView(file: string): Map<string, Cap[]> {
  const out = execFileSync('lspci', ['-F', file, '-vvv'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const view = new Map<string, Cap[]>();
  let caps: Cap[] | undefined;
  for (const line of out.split('\n')) {
    const dev = /^((?:[0-9a-f]{4,5}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) /.exec(line);
    if (dev) { caps = []; view.set(dev[1].replace(/^0000:/, ''), caps); continue; }
    const m = /^\s+Capabilities: \[([0-9a-f]+)(?: v(\d+))?\] (.*)$/.exec(line);
    if (!m || !caps || m[3].startsWith('<')) continue;
    const ext = m[2] !== undefined;
    const std = ext ? undefined : /^(?:Power Management version (\d+)|Express \(v(\d+)\))/.exec(m[3]);
    const version = ext ? Number(m[2]) : std ? Number(std[1] ?? std[2]) : undefined;
    caps.push({ ext, offset: parseInt(m[1], 16), ...(version !== undefined ? { version } : {}) });
  }
  return view;
}

const key = (c: Cap) => `${c.ext ? 'ext' : 'std'}@${c.offset.toString(16)}${c.version !== undefined ? `v${c.version}` : ''}`;

/** Findings Linux agrees are real: the chain as Linux walks it is broken too. Declared with the reason. */
const LINUX_ERRORS: Record<string, { bdf: string; code: string; why: string }[]> = {};

describe.skipIf(!corpus)(`pciutils corpus (${corpus ? `${corpus.files.length} dumps, pciutils ${corpus.version}` : 'not fetched: run lusim corpus fetch'})`, () => {
  const files = corpus?.files ?? [];
  it('holds the dumps the issue names', () => {
    for (const f of ['cap-rebar', 'cap-dpc', 'cap-doe', 'cap-dvsec-cxl', 'broken-ecaps', 'tree-asus-p6t6', 'PCI-X-bridges-and-domains']) expect(files).toContain(f);
  });
  for (const name of files) {
    describe(name, () => {
      const file = join(corpus!.dir, name);
      const dumps = parseLspci(readFileSync(file, 'utf8'));

      it('capabilities, versions and config-space size agree with lspci -F -vvv', () => {
        const theirs = lspciView(file);
        for (const d of dumps) {
          const fn = buildFunction(d);
          const bdf = formatBdf(d.bdf);
          const ours = fn.walk.capabilities.map((c) => {
            const versioned = c.extended || c.id === 0x01 || c.id === 0x10;
            return key({ ext: c.extended, offset: c.offset, ...(versioned ? { version: c.version } : {}) });
          });
          expect(ours, `${name} ${bdf}`).toEqual((theirs.get(bdf) ?? []).map(key));
        }
      });

      it('no error finding where Linux sees nothing wrong', () => {
        for (const d of dumps) {
          const bdf = formatBdf(d.bdf);
          const errors = buildFunction(d).walk.findings.filter((f) => f.severity === 'error').map((f) => f.code);
          expect(errors, `${name} ${bdf}`).toEqual((LINUX_ERRORS[name] ?? []).filter((e) => e.bdf === bdf).map((e) => e.code));
        }
      });

      it('reset-methods, cycle --as-found (both formats) and reset run on every function', async () => {
        const internal = (r: { stderr: string }) => /internal error|\n\s+at /.test(r.stderr);
        const rm = await runLusim(['reset-methods', file, '--kernel', '6.12', '--json']);
        expect(internal(rm), rm.stderr).toBe(false);
        expect(rm.code, rm.stderr).toBe(0);
        for (const d of dumps) {
          const bdf = formatBdf(d.bdf);
          for (const format of ['linux-blob', 'lusim-v1']) {
            const r = await runLusim(['cycle', file, '--device', bdf, '--as-found', '--format', format, '--json']);
            expect(internal(r), `${bdf} ${format}: ${r.stderr}`).toBe(false);
            expect(r.code, `${bdf} ${format}: ${r.stderr}`).toBe(0);
          }
          for (const args of [['--kernel', '7.1'], ['--method', 'flr'], ['--method', 'bus']]) {
            const r = await runLusim(['reset', file, '--device', bdf, ...args, '--json']);
            expect(internal(r), `${bdf} reset ${args.join(' ')}: ${r.stderr}`).toBe(false);
          }
        }
      }, 120_000);
    });
  }
});
