/**
 * The real-hardware corpus: every dump in pciutils' tests/ (Debian's pciutils source package,
 * fetched by `lusim corpus fetch`, which npm test's set-up runs; never committed). For every
 * function of every file:
 *  - the capability list (offsets, standard/extended, versions) equals what Debian's
 *    `lspci -F FILE -vvv` decodes, and the config-space size lusim gives the function decides, as
 *    for lspci and Linux (pci_cfg_space_size), whether extended capabilities are shown at all;
 *  - no walker finding of severity error unless Linux itself would misread the chain;
 *  - reset-methods, cycle --as-found (linux-blob and lusim-v1) and reset run without an internal error;
 *  - `lusim fuzz --from-dump` around it: no oracle that must hold fails (the generated layouts never
 *    set a bridge's header windows, which is how a lusim-v1 identity bug hid until this sweep).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../devices/device.js';
import { formatBdf } from '../../devices/dump/bdf.js';
import { parseLspci } from '../../devices/dump/lspci.js';
import { cacheRoot } from '../../kexec/kernels/kernels.js';
import { cachedCorpus } from '../../kexec/pciutils-corpus.js';
import { runCampaign } from '../../cli/fuzz/pool.js';
import { SAVE_FORMATS } from '../../sim/cycle/carry.js';
import { FLOWS } from '../../sim/cycle/run.js';
import { droppableCapabilities } from '../../sim/fuzz/device.js';
import { MUST_HOLD, ORACLES } from '../../sim/fuzz/oracles.js';
import { KERNEL_PROFILE_IDS } from '../../sim/linux/profiles.js';
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

      it('fuzz --from-dump: no oracle that must hold fails around any function', async () => {
        // time-bound is left out: a test run shares the machine with QEMU boots, and its bound is
        // a clock, not a property of the model.
        const oracles = ORACLES.filter((o) => o !== 'time-bound' && o !== 'qemu');
        for (const d of dumps) {
          const config = { seed: 1, kernels: KERNEL_PROFILE_IDS, formats: SAVE_FORMATS, flows: FLOWS, oracles, seedDump: d, seedDroppable: droppableCapabilities(d) };
          const run = await runCampaign(config, { jobs: 1, runs: 40, shrink: false });
          const failed = run.firsts.filter((f) => MUST_HOLD.includes(f.oracle));
          expect(failed.map((f) => `${f.signature}: ${f.detail}`), `${name} ${formatBdf(d.bdf)}`).toEqual([]);
        }
      }, 120_000);
    });
  }
});

/** Hand-checked against each file's own `lspci -vvv` text (the dumps carry it above the hex). */
describe.skipIf(!corpus)('pciutils corpus: real devices checked by hand', () => {
  const load = (name: string, bdf?: string) => {
    const all = parseLspci(readFileSync(join(corpus!.dir, name), 'utf8'));
    return bdf ? all.find((d) => formatBdf(d.bdf) === bdf)! : all[0];
  };
  const cycle = async (name: string, bdf: string, extra: string[] = []) => JSON.parse((await runLusim(['cycle', join(corpus!.dir, name), '--device', bdf, '--as-found', '--json', ...extra])).stdout) as { fields: { register: string; field: string; verdict: string; rule: string; before: number; after: number; location: string }[] };

  it('cap-rebar: an AMD Fiji GPU whose Resizable BAR 0 is at 256 MB keeps it across the cycle (pci_restore_rebar_state writes the size the BAR has)', async () => {
    const fn = buildFunction(load('cap-rebar'));
    expect(fn.walk.capabilities.map((c) => `${c.key}@${c.offset.toString(16)}`)).toEqual(['vndr@48', 'pm@50', 'pcie@58', 'msi@a0', 'vsec@100', 'aer@150', 'rebar@200', 'secpci@270', 'ats@2b0', 'pri@2c0', 'pasid@2d0', 'ari@328']);
    // Secondary PCIe on an x16 link (LnkCap Width x16): 0x0c + 16 lane equalization words = 44 bytes.
    expect(fn.walk.capabilities.find((c) => c.key === 'secpci')?.size).toBe(44);
    // lspci: "BAR 0: current size: 256MB": CTRL 0x00000820, BAR_SIZE 8 = 2^(8+20).
    expect(fn.space.read(0x208, 4)).toBe(0x00000820);
    const r = await cycle('cap-rebar', '09:00.0');
    const rebar = r.fields.filter((f) => f.location === 'rebar');
    expect(rebar.length).toBeGreaterThan(0);
    expect(rebar.every((f) => f.verdict === 'unchanged')).toBe(true);
  });

  it('cap-pcie-2: an Intel 82576 PF with VFs enabled (IOVCtl Enable+ MSE+, NumVFs 1) loses them: sriov_init clears VF Enable in kernel B', async () => {
    const r = await cycle('cap-pcie-2', '01:00.0');
    const sriov = r.fields.filter((f) => f.location === 'sriov' && f.verdict !== 'unchanged');
    expect(sriov.map((f) => `${f.field} ${f.before}->${f.after} ${f.verdict}`)).toEqual(['PCI_SRIOV_CTRL_VFE 1->0 lost', 'PCI_SRIOV_CTRL_MSE 1->0 lost', 'PCI_SRIOV_NUM_VF 1->0 lost']);
    expect(sriov[0].rule).toMatch(/sriov_init changed it at 7\.1's enumeration/);
  });

  it('cap-dpc: a PLX 9716 switch downstream port captured with lspci -xxx: 4096 bytes by kind, partial once, its DPC (only in the text) not seen', () => {
    const fn = buildFunction(load('cap-dpc'));
    expect(fn.space.size).toBe(4096);
    expect(fn.walk.findings.filter((f) => f.code === 'partial-capture').map((f) => f.message)).toEqual(['partial dump: 256 of the function\'s 4096 config bytes captured (lspci -xxx); bytes from 0x100 on are unknown']);
    expect(fn.walk.findings.some((f) => f.code === 'not-captured' && f.chain === 'extended')).toBe(true);
    expect(fn.walk.capabilities.map((c) => c.key)).toEqual(['pm', 'msi', 'pcie', 'ssvid']);
  });

  it('cap-dpc (a real lspci -xxx dump, 256 bytes): reset-methods needs nothing past 0xff, so it decides: "NoSoftRst+" rules out pm, no FLR in DevCap; bus listed at enumeration but refused once the port has its bus', async () => {
    const r = JSON.parse((await runLusim(['reset-methods', join(corpus!.dir, 'cap-dpc'), '--kernel', '6.12', '--json'])).stdout) as { resetMethods: string[]; resetFunctionMethod: string | null; cannotTell?: string; probes: { method: string; reason: string }[] }[];
    expect(r[0].cannotTell).toBeUndefined();
    expect(r[0].resetMethods).toEqual(['bus']);
    expect(r[0].resetFunctionMethod).toBeNull();
    expect(r[0].probes.find((p) => p.method === 'pm')?.reason).toMatch(/No_Soft_Reset=1/);
  });

  it('cap-doe: a CXL memory device (class 0502) with two DOE mailboxes: both listed, neither a duplicate', () => {
    const fn = buildFunction(load('cap-doe'));
    expect(fn.walk.capabilities.filter((c) => c.key === 'doe').map((c) => c.offset)).toEqual([0x100, 0x130]);
    expect(fn.walk.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('the GPU cut to 64 bytes (lspci -x) still decodes its header; to 256 (lspci -xxx) its standard capabilities', () => {
    const gpu = load('cap-rebar');
    const f64 = buildFunction({ ...gpu, bytes: gpu.bytes.slice(0, 64) });
    expect(f64.space.read(0, 4)).toBe(0x73001002);
    expect(f64.walk.capabilities).toEqual([]);
    expect(f64.walk.findings.map((f) => f.code)).toEqual(['partial-capture', 'not-captured', 'not-captured']);
    const f256 = buildFunction({ ...gpu, bytes: gpu.bytes.slice(0, 256) });
    expect(f256.walk.capabilities.map((c) => c.key)).toEqual(['vndr', 'pm', 'pcie', 'msi']);
    expect(f256.space.size).toBe(4096);
  });

  it('cap-vc-pat: a PLX PEX 8532 switch port with VC (tables and Resource Control): lusim-v1 carries the VC buffer by register, so a bus reset loses nothing linux-blob keeps', async () => {
    const verdicts = async (format: string) => {
      const r = JSON.parse((await runLusim(['cycle', join(corpus!.dir, 'cap-vc-pat'), '--as-found', '--format', format, '--reset', 'bus', '--json'])).stdout) as { fields: { location: string; field: string; verdict: string }[]; notes: string[] };
      return { changed: r.fields.filter((f) => f.location === 'vc' && f.verdict !== 'unchanged').map((f) => `${f.field} ${f.verdict}`), notes: r.notes };
    };
    const blob = await verdicts('linux-blob');
    const v1 = await verdicts('lusim-v1');
    // Before: "VC is a table, not a register list: lusim-v1 does not carry it", and PCI_VC_RES_CTRL_ID
    // came out "lost", blamed on 6.12's pci_save_state, which does save it.
    expect(blob.changed).toEqual(['PCI_VC_RES_CTRL_ID restored']);
    expect(v1.changed).toEqual(blob.changed);
    expect(v1.notes.some((n) => n.includes('does not carry'))).toBe(false);
  });

  it('reset-methods: a multifunction GPU alone in its dump is uncertain for bus, not "alone on its bus"', async () => {
    const r = JSON.parse((await runLusim(['reset-methods', join(corpus!.dir, 'cap-rebar'), '--kernel', '6.12', '--json'])).stdout) as { resetMethods: string[]; resetWorks: unknown; cannotTell?: string }[];
    expect(r[0].resetMethods).toEqual([]);
    expect(r[0].resetWorks).toBe('cannot tell');
    expect(r[0].cannotTell).toMatch(/^bus: .*multifunction/);
  });
});

/** The capabilities the catalogue gained from pci_regs.h, decoded against each file's own lspci -vvv text. */
describe.skipIf(!corpus)('pciutils corpus: capabilities beyond the ones Linux saves', () => {
  const all = (name: string) => parseLspci(readFileSync(join(corpus!.dir, name), 'utf8')).map((d) => buildFunction(d));
  const withCap = (name: string, key: string) => {
    for (const fn of all(name)) {
      const cap = fn.walk.capabilities.find((c) => c.key === key);
      if (cap) return { fn, at: cap.offset, cap };
    }
    throw new Error(`${name}: no ${key}`);
  };
  it('no capability in any dump is outside the catalogue any more', () => {
    for (const name of corpus!.files) for (const fn of all(name)) expect(fn.walk.findings.filter((f) => f.code === 'unknown-capability').map((f) => f.message), name).toEqual([]);
  });
  it('cap-ht 00:00.0: "[f0] HyperTransport: MSI Mapping Enable+ Fixed+" (12 bytes), "[c4] Slave or Primary Interface" (28)', () => {
    const fn = all('cap-ht')[0];
    const ht = fn.walk.capabilities.filter((c) => c.key === 'ht').map((c) => `${c.offset.toString(16)}:${c.size}`);
    expect(ht).toEqual(['f0:12', 'c4:28', '40:4', '54:4', '9c:4']);
    expect(fn.space.read(0xf2, 2) & 0x3).toBe(0x3);
  });
  it('cap-multicast 07:00.0 (an Upstream Port): "McastCap: MaxGroups 64, ECRCRegen+", "McastCtl: NumGroups 64, Enable+", "McastReceiveVec: ffffffffffffffff", overlay BAR: 48 bytes', () => {
    const { fn, at, cap } = withCap('cap-multicast', 'mcast');
    expect(cap.size).toBe(48);
    expect([fn.space.read(at + 4, 2), fn.space.read(at + 6, 2)]).toEqual([0x803f, 0x803f]);
    expect([fn.space.read(at + 0x10, 4), fn.space.read(at + 0x14, 4)]).toEqual([0xffffffff, 0xffffffff]);
  });
  it('cap-rcec: "[160 v2] ... RCiEPBitmap: 00000000 [none]", "AssociatedBusNumbers: ff-00 [none]": the version-2 layout with PCI_RCEC_BUSN', () => {
    const { fn, at, cap } = withCap('cap-rcec', 'rcec');
    expect([at, cap.version, cap.size]).toEqual([0x160, 2, 12]);
    expect(fn.space.read(at + 4, 4)).toBe(0);
    const busn = fn.space.read(at + 8, 4);
    expect([(busn >>> 8) & 0xff, (busn >>> 16) & 0xff]).toEqual([0xff, 0x00]);
  });
  it('cap-vc-and-rcl: "[130 v1] Root Complex Link: PortNumber=0f ComponentID=02 EltType=Config", one link "LinkValid+ ... Addr: 00000000fed1c000"', () => {
    const { fn, at, cap } = withCap('cap-vc-and-rcl', 'rcld');
    const esd = fn.space.read(at + 4, 4);
    expect([at, cap.size, esd >>> 24, (esd >>> 16) & 0xff, (esd >>> 8) & 0xff]).toEqual([0x130, 0x20, 0x0f, 0x02, 1]);
    expect([fn.space.read(at + 0x10, 4) & 1, fn.space.read(at + 0x18, 4), fn.space.read(at + 0x1c, 4)]).toEqual([1, 0xfed1c000, 0]);
  });
  it('tree-asus-p6t6: "[a8] SATA HBA v1.0 BAR4 Offset=00000004": BAR location 4+4=8 (BAR4), not inline, 8 bytes', () => {
    const { fn, at, cap } = withCap('tree-asus-p6t6', 'sata');
    const regs = fn.space.read(at + 4, 4);
    expect([cap.size, regs & 0xf, (regs >>> 4) & 0xfffff]).toEqual([8, 8, 4]);
  });
});

describe.skipIf(!corpus)('pciutils corpus: one IOMMU assumption per run (--iommu)', () => {
  it('cap-aer-hdr 00:1c.0 (an Intel root port with ACS, ACS_CTRL 0): ACS enabled in kernel B only with --iommu on, and the note says which', async () => {
    const run = async (iommu: string) => JSON.parse((await runLusim(['cycle', join(corpus!.dir, 'cap-aer-hdr'), '--device', '00:1c.0', '--as-found', '--to', '6.1', '--iommu', iommu, '--json'])).stdout) as { notes: string[]; fields: { location: string; field: string; after: number; verdict: string }[] };
    const on = await run('on');
    const off = await run('off');
    const acs = (r: typeof on) => r.fields.filter((f) => f.location === 'acs' && f.verdict !== 'unchanged').map((f) => f.field);
    expect(acs(on)).toEqual(expect.arrayContaining(['PCI_ACS_SV', 'PCI_ACS_RR', 'PCI_ACS_CR']));
    expect(acs(off)).toEqual([]);
    expect(on.notes).toContain('IOMMU present (--iommu on): pci_acs_enable set, ACS enabled at enumeration and restore');
    expect(off.notes.some((n) => n.startsWith('no IOMMU (--iommu off'))).toBe(true);
  });
});
