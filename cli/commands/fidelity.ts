/**
 * `lusim fidelity`: the model against real Debian kernels in QEMU on a set of topologies
 * (kexec/run/fidelity.ts). Default set: fixtures/topologies/*.txt (switch, PCIe-to-PCI bridge,
 * multifunction, RCiEP, MSI-only with ioh3420, no-driver devices, virtio with and without its
 * class driver). Exit 1 when anything disagrees.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { runFidelity, type FidelityReport } from '../../kexec/run/fidelity.js';
import { KEXEC_MODES, type KexecMode } from '../../kexec/run/fidelity-truth.js';
import { prepareOutDir, writeOut } from '../args/out-file.js';
import { watchNegationPair } from '../args/option-scope.js';
import { builtinTopologies, builtinTopologyNames, topologyArg } from '../../kexec/topology/topologies.js';
import { parseSeries } from '../../kexec/kernels/kernels.js';
import { CliError, EXIT_FAILURE, action, printJson } from '../errors.js';
import { log } from '../log.js';
import { refuseRepeated } from '../args/option-list.js';

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

export function register(program: Command): void {
  const fidelity = program.command('fidelity');
  const refuseSnapshotClash = watchNegationPair(fidelity, '--snapshots', '--no-snapshots');
  fidelity
    .description('boot each topology on real Debian kernels in QEMU, kexec (plain and preserved), and compare with the model: reset_method lists, registers after boot A (from the state the firmware left), after the kexec and (preserved) after the restore')
    .option('--topology <file|name>', `a topology file (one QEMU -device string per line) or the name of a built-in one (fixtures/topologies: ${builtinTopologyNames().join(', ')}); repeatable; default: every built-in one`, collect)
    .option('--kernels <list>', 'Debian series, comma-separated; pairs run as a ring (each kernel once as A, once as B)', '6.1,6.12,7.x')
    .option('--all-pairs', 'every ordered kernel pair, same-kernel kexecs included')
    .option('--modes <list>', 'kexec modes, comma-separated: plain (Debian\'s kexec) and preserved (every function keeps bus master through A\'s shutdown, as the PCI Live Update series does)', 'plain,preserved')
    .option('--out <dir>', 'save every capture (lspci -xxxx + JSON) and the report here, for replay without QEMU')
    .option('--no-fetch', 'fail instead of fetching kernels that are not cached')
    .option('--snapshots <dir>', 'keep the snapshot of each boot A here and start later runs of the same topology and kernels from it (default: snapshots live in the cache for this run only, so the second mode of a pair starts from the first one\'s boot A; nvme topologies boot cold: QEMU 7.2 cannot migrate nvme; a snapshot that does not give every function back, as with edu, is never used again)')
    .option('--no-snapshots', 'boot kernel A cold for every pair')
    .option('--json', 'the whole report as JSON')
    .action(action(async (opts: { topology?: string[]; kernels: string; modes: string; allPairs?: boolean; out?: string; fetch?: boolean; json?: boolean; snapshots?: string | boolean }) => {
      refuseSnapshotClash();
      const modes = opts.modes.split(',').map((m) => m.trim()).filter(Boolean);
      const bad = modes.find((m) => !(KEXEC_MODES as readonly string[]).includes(m));
      if (bad !== undefined || modes.length === 0) throw new CliError('bad-option', `--modes ${opts.modes}: each mode is one of ${KEXEC_MODES.join(', ')}`, { modes: opts.modes });
      refuseRepeated('--modes', opts.modes, modes);
      const topologies = opts.topology?.length ? opts.topology.map((t) => topologyArg(t)) : builtinTopologies();
      refuseSameName(opts.topology ?? [], topologies);
      const kernels = opts.kernels.split(',').map((k) => k.trim()).filter(Boolean);
      // A series that does not exist is the command line's mistake: said before any boot.
      if (!kernels.length) throw new CliError('bad-option', `--kernels "${opts.kernels}" names no kernel: give Debian series, e.g. 6.1,6.12,7.x`, { kernels: opts.kernels });
      for (const k of kernels) parseSeries(k);
      refuseRepeated('--kernels', opts.kernels, kernels);
      if (opts.out) prepareOutDir(opts.out, '--out');
      if (typeof opts.snapshots === 'string') prepareOutDir(opts.snapshots, '--snapshots');
      const report = await runFidelity(topologies, {
        kernels, modes: modes as KexecMode[], ...(opts.allPairs ? { allPairs: true } : {}), ...(opts.out ? { out: opts.out } : {}), ...(typeof opts.snapshots === 'string' ? { snapshotDir: opts.snapshots } : {}), snapshots: opts.snapshots !== false, fetch: opts.fetch !== false,
        progress: (m) => log.info(`fidelity: ${m}`),
      });
      if (opts.out) {
        const written = writeOut(join(opts.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
        if (!written.ok) process.stderr.write(`lusim: ${written.message}; the report follows on stdout\n`);
      }
      if (opts.json) printJson(report);
      else process.stdout.write(renderFidelity(report));
      const s = report.summary;
      if (s.resetMethods.agree < s.resetMethods.total || s.afterBoot.agree < s.afterBoot.total || s.afterKexec.agree < s.afterKexec.total || s.afterRestore.agree < s.afterRestore.total || s.loads.agree < s.loads.total || report.pairs.some((p) => p.error)) process.exitCode = EXIT_FAILURE;
    }));
}

/** The report's pairs and --out's directories are keyed on a topology's name (a file's is its base name). */
function refuseSameName(args: readonly string[], topologies: readonly { name: string }[]): void {
  const first = new Map<string, string>();
  for (const [i, t] of topologies.entries()) {
    const seen = first.get(t.name);
    if (seen !== undefined) throw new CliError('bad-option', `--topology ${seen} and ${args[i]} are both named ${t.name} (pairs and --out directories go by the name): give each topology once, or rename the file`, { topology: t.name });
    first.set(t.name, args[i]!);
  }
}

const hex = (v: number) => `0x${v.toString(16)}`;
const pct = (a: number, t: number) => (t === 0 ? 'n/a' : `${a}/${t} (${((100 * a) / t).toFixed(1)}%)`);

export function renderFidelity(r: FidelityReport): string {
  const out: string[] = [];
  const s = r.summary;
  out.push(`Model vs real kernels, ${r.pairs.length} boots in ${(r.totalMs / 1000).toFixed(0)} s`);
  out.push(`  accelerator: ${Object.entries(s.accelerators).map(([k, v]) => `${k.toUpperCase()} for ${v.boots} boots (${v.why})`).join('; ') || '-'}`);
  out.push(`  reset_method lists agree: ${pct(s.resetMethods.agree, s.resetMethods.total)}`);
  const classes = (pick: (p: FidelityReport['pairs'][number]) => readonly { outcome: string }[]) => {
    const n = new Map<string, number>();
    for (const x of r.pairs.flatMap(pick)) if (x.outcome !== 'agree' && x.outcome !== 'disagree') n.set(x.outcome, (n.get(x.outcome) ?? 0) + 1);
    return n.size ? ` (${[...n].map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  };
  out.push(`  registers after boot A (firmware state -> kernel A's enumeration and drivers) agree: ${pct(s.afterBoot.agree, s.afterBoot.total)}; ${s.afterBoot.unpredictable} unpredictable${classes((p) => p.afterBoot)}`);
  out.push(`  registers after kexec (changed in reality or prediction) agree: ${pct(s.afterKexec.agree, s.afterKexec.total)}; ${s.afterKexec.unpredictable} unpredictable${classes((p) => p.afterKexec)}`);
  out.push(`  registers after restore (preserved: A saved, B loaded and restored) agree: ${pct(s.afterRestore.agree, s.afterRestore.total)}; ${s.afterRestore.unpredictable} unpredictable${classes((p) => p.afterRestore)}`);
  out.push(`  pci_load_saved_state return codes agree: ${pct(s.loads.agree, s.loads.total)}`);
  out.push(`  per device: ${Object.entries(s.perClass).map(([k, v]) => `${k} ${v.agree}/${v.total}`).join(', ') || '-'}`);
  out.push(`  per mode: ${Object.entries(s.perMode).map(([k, v]) => `${k} ${v.agree}/${v.total}`).join(', ') || '-'}`);
  out.push(`  per pair: ${Object.entries(s.perPair).map(([k, v]) => `${k} ${v.agree}/${v.total}`).join(', ') || '-'}`);
  for (const p of r.pairs) {
    const bad = p.resetMethods.filter((x) => !x.agree);
    const booted = p.afterBoot.filter((x) => x.outcome === 'disagree');
    const regs = p.afterKexec.filter((x) => x.outcome === 'disagree');
    const restored = p.afterRestore.filter((x) => x.outcome === 'disagree');
    const loads = p.loads.filter((x) => x.real !== x.model);
    out.push(`  ${p.topology} ${p.from} -> ${p.to} ${p.mode} (${(p.ms / 1000).toFixed(1)} s${p.accelerator ? `, ${p.accelerator.name.toUpperCase()}` : ''}${p.bootA && p.bootA !== 'cold' ? `, boot A ${p.bootA}` : ''}): ${p.error ? `ERROR ${p.error}` : `${bad.length} reset_method, ${p.bootA === 'restored' ? 'no boot-A point (restored)' : `${booted.length} after boot A`} and ${regs.length} after kexec register disagreements${p.mode === 'preserved' ? `, ${restored.length} after restore, ${loads.length} load return codes` : ''}`}`);
    for (const d of p.drivers) out.push(`      drivers in ${d.release}: ${d.bound.map((b) => `${b.id} ${b.driver ?? '-'}`).join(', ')}`);
    for (const x of bad) out.push(`      reset_method ${x.id} ${x.bdf} in ${x.kernel}: real ${x.real.join(' ') || '(none)'}, model ${x.predicted.join(' ') || '(none)'}`);
    for (const x of booted) out.push(`      after boot A: ${x.id} ${x.bdf} ${x.register} @${hex(x.offset)}: firmware ${hex(x.before)}, real ${hex(x.real)}, model ${hex(x.predicted)} (model steps: ${x.steps.join(', ') || 'none'})`);
    for (const x of regs) out.push(`      ${x.id} ${x.bdf} ${x.register} @${hex(x.offset)}: before ${hex(x.before)}, real ${hex(x.real)}, model ${hex(x.predicted)} (model steps: ${x.steps.join(', ') || 'none'})`);
    for (const x of restored) out.push(`      after restore: ${x.id} ${x.bdf} ${x.register} @${hex(x.offset)}: before ${hex(x.before)}, real ${hex(x.real)}, model ${hex(x.predicted)} (model steps: ${x.steps.join(', ') || 'none'})`);
    for (const x of loads) out.push(`      pci_load_saved_state ${x.id} ${x.bdf}: real ${x.real}, model ${x.model}`);
  }
  return `${out.join('\n')}\n`;
}
