/** Human-readable rendering of `lusim cycle` and `lusim cycle --matrix` (the --json forms are the data). */
import pc from 'picocolors';
import type { DriftOutcome } from '../../sim/cycle/experiments.js';
import type { CrossLoad } from '../../sim/cycle/lu-pci-crossloads.js';
import type { KconfigUse } from '../../sim/linux/kconfig.js';
import type { MatrixCell } from '../../sim/cycle/matrix.js';
import type { CycleResult } from '../../sim/cycle/run.js';
import type { FieldOutcome, Verdict } from '../../sim/cycle/verdict.js';

const hex = (n: number) => n.toString(16);
const ORDER: readonly Verdict[] = ['corrupted', 'refused', 'stale', 'lost', 'unknown', 'expected', 'restored', 'unchanged'];
const COLOUR: Record<Verdict, (s: string) => string> = {
  corrupted: pc.red, refused: pc.red, stale: pc.yellow, lost: pc.yellow, expected: pc.cyan, restored: pc.green, unchanged: pc.dim, unknown: pc.magenta,
};

function fieldLine(f: FieldOutcome): string {
  const name = f.field === f.register ? f.register : `${f.register}.${f.field.startsWith(`${f.register}_`) ? f.field.slice(f.register.length + 1) : f.field}`;
  const where = f.function === 'parent' ? pc.magenta('parent ') : '';
  return `    ${where}${pc.dim(`[${f.offset.toString(16).padStart(3, '0')}]`)} ${name.padEnd(f.function === 'parent' ? 33 : 40)} ${hex(f.before)} -> ${hex(f.mid)} -> ${hex(f.after)}\n        ${pc.dim(f.rule)}`;
}

export function renderCycle(r: CycleResult, label: string, opts: { all: boolean; timeline: boolean }): string {
  const o = r.options;
  const out: string[] = [];
  out.push(pc.bold(`lusim cycle: ${r.bdf} ${label}, profile ${r.profile}`));
  out.push(r.parent
    ? `  upstream port: ${r.parent.bdf} (profile ${r.parent.profile}), modelled with the device; its fields are marked ${pc.magenta('parent')}`
    : '  upstream port: not modelled (the device alone)');
  out.push(`  kernel A ${o.from} -> kernel B ${o.to}${o.drift ? ` (drift: ${o.drift})` : ''}; flow ${o.flow}; format ${r.carried.format}${r.carried.bytes !== null ? ` (${r.carried.bytes} bytes)` : ''}; ${o.preserved ? 'device preserved' : 'device not preserved'}; driver in A: ${o.driver}${o.reset ? `; ${o.reset} reset during the kexec` : ''}`);
  out.push(`  reference: the ${r.reference === 'operational' ? 'operational state kernel A saved' : 'state kernel A\'s vfio open saved'}`);
  out.push(`  load: ${r.load.error ? pc.red(`REFUSED: ${r.load.error}`) : 'ok'}${r.resetWorks ? `; reset_works: A ${r.resetWorks.old}, B ${r.resetWorks.new}` : ''}`);
  if (r.handover) out.push(`  handover through LUO: kernel A wrote ${r.handover.written.join(', ') || 'nothing'}; ${r.handover.ok ? pc.green('kernel B speaks them') : r.handover.written.length ? pc.red('kernel B refused them') : pc.red('no handover')}`);
  if (r.freeze) {
    out.push(pc.bold('  freeze() in kernel A (VFIO series v5)'));
    const mark = { passed: pc.green('passed '), refused: pc.red('REFUSED'), skipped: pc.dim('skipped') } as const;
    for (const g of r.freeze) out.push(`    ${mark[g.verdict]}  ${g.gate.padEnd(24)} ${pc.dim(g.why)}`);
  }
  out.push(`  ${ORDER.filter((v) => v !== 'unchanged').map((v) => COLOUR[v](`${v} ${r.counts[v]}`)).join('  ')}  ${pc.dim(`(${r.counts.unchanged} fields unchanged)`)}`);
  for (const v of ORDER) {
    if (v === 'unchanged' && !opts.all) continue;
    const fs = r.fields.filter((f) => f.verdict === v);
    if (fs.length === 0) continue;
    out.push('', COLOUR[v](pc.bold(`  ${v.toUpperCase()} (${fs.length})`)));
    for (const f of fs) out.push(fieldLine(f));
  }
  if (r.notes.length) {
    out.push('', pc.bold('  Notes'));
    for (const n of r.notes) out.push(`    - ${n}`);
  }
  if (opts.timeline) {
    out.push('', pc.bold('  Timeline (config and MSI-X writes, in order)'));
    for (const t of r.timeline) out.push(`    ${t.phase.padEnd(12)} ${t.target.padEnd(6)} ${t.step.padEnd(34)} ${t.space === 'bar' ? 'bar ' : ''}[${t.offset.toString(16).padStart(3, '0')}]/${t.width} = ${hex(t.value)}`);
  }
  return `${out.join('\n')}\n`;
}

function cellText(c: MatrixCell): string {
  if (c.loadError) return pc.red('EINVAL');
  if (c.problems.length === 0) return pc.green('ok');
  const n = (v: Verdict) => c.problems.filter((p) => p.verdict === v).length;
  return [n('corrupted') ? pc.red(`C${n('corrupted')}`) : '', n('stale') ? pc.yellow(`S${n('stale')}`) : '', n('lost') ? pc.yellow(`L${n('lost')}`) : '', n('refused') ? pc.red(`R${n('refused')}`) : ''].filter(Boolean).join(' ');
}

const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - visible(s).length));

/** `conditions`: what every cell's cycle shares beyond the defaults (a reset, --as-found, ...). */
export function renderMatrix(cells: readonly MatrixCell[], label: string, notes: readonly string[] = [], conditions: readonly string[] = []): string {
  const cols = [...new Set(cells.map((c) => `${c.flow}/${c.format}`))];
  const rows = [...new Set(cells.map((c) => `${c.from} -> ${c.to}`))];
  const out: string[] = [pc.bold(`lusim cycle matrix: ${label}: ${cells.length} cycles (kernel pairs x flows x formats)`)];
  if (conditions.length) out.push(`  every cell: ${conditions.join('; ')}`);
  for (const n of notes) out.push(`  note: ${n}`);
  out.push(`  cells: ok = every field back or expected; L lost, C corrupted, S stale, R refused (field counts); EINVAL = pci_load_saved_state refused the blob`, '');
  const w0 = Math.max(...rows.map((r) => r.length)) + 2;
  const w = Math.max(...cols.map((c) => c.length)) + 2;
  out.push(`  ${pad('A -> B', w0)}${cols.map((c) => pad(c, w)).join('')}`);
  for (const row of rows) {
    const line = cols.map((col) => {
      const c = cells.find((x) => `${x.from} -> ${x.to}` === row && `${x.flow}/${x.format}` === col);
      return pad(c ? cellText(c) : '', w);
    });
    out.push(`  ${pad(row, w0)}${line.join('')}`);
  }
  // Every distinct problem once, with where it occurs and the rule that explains it.
  const seen = new Map<string, { rule: string; where: string[] }>();
  for (const c of cells) {
    if (c.loadError) {
      const k = `refused: ${c.loadError}`;
      const e = seen.get(k) ?? { rule: 'the new kernel refused the carried state', where: [] };
      e.where.push(`${c.from}->${c.to} ${c.flow}/${c.format}`);
      seen.set(k, e);
    }
    for (const p of c.problems) {
      const k = `${p.verdict} ${p.field}`;
      const e = seen.get(k) ?? { rule: p.rule, where: [] };
      e.where.push(`${c.from}->${c.to} ${c.flow}/${c.format}`);
      seen.set(k, e);
    }
  }
  if (seen.size) {
    out.push('', pc.bold(`  What did not come back (${seen.size} distinct)`));
    for (const [k, e] of seen) {
      out.push(`    ${k}  ${pc.dim(`(${e.where.length} cells, e.g. ${e.where[0]})`)}`, `        ${pc.dim(e.rule)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function renderDriftExperiments(rows: readonly DriftOutcome[], from: string, to: string): string {
  const out: string[] = [pc.bold(`Layout drift (kernel ${from} saves, kernel ${to} with a drifted data[] layout restores; plain flow):`)];
  for (const r of rows) {
    const head = `  ${r.drift.padEnd(28)} ${r.format.padEnd(11)}`;
    if (!r.applicable) { out.push(`${head} ${pc.dim('not applicable: the device has no such buffer or slot (ROOT_* slots: Root Ports and RCECs)')}`); continue; }
    if (r.loadError) { out.push(`${head} ${pc.red('REFUSED')} ${pc.dim(r.loadError)}`); continue; }
    const corrupted = r.problems.filter((p) => p.verdict === 'corrupted');
    if (corrupted.length === 0) {
      out.push(`${head} ${r.latent ? pc.yellow(`latent: ${r.latent} fields restored from the wrong register's slot, values happen to match`) : pc.green('no field corrupted')}`);
      continue;
    }
    const regs = [...new Set(corrupted.map((p) => p.field.split('.')[0]))];
    out.push(`${head} ${pc.red(`SILENTLY CORRUPTED ${corrupted.length} fields`)} in ${regs.join(', ')}`);
    out.push(`      ${pc.dim(corrupted[0].rule)}`);
  }
  return `${out.join('\n')}\n`;
}

export function renderLuPciCrossLoads(rows: readonly CrossLoad[], device: string): string {
  const out: string[] = [pc.bold(`PCI Live Update series (lu-pci: ACS Control saved, a new blob entry) and other kernels' blobs (${device}, plain/linux-blob):`)];
  for (const r of rows) {
    const head = `  ${`${r.from} -> ${r.to}`.padEnd(18)}`;
    if (r.loadError) { out.push(`${head} ${pc.red('REFUSED')} ${pc.dim(r.loadError)}`); continue; }
    out.push(`${head} ${pc.green('loads')}${r.notBack.length ? `; not back: ${r.notBack.join(', ')}` : ''}`);
    for (const n of r.bufferNotes) out.push(`      ${pc.dim(n)}`);
  }
  return `${out.join('\n')}\n`;
}

export function renderKconfig(k: { readonly file: string; readonly used: readonly KconfigUse[] }): string {
  const out = [pc.bold(`Kconfig from ${k.file} (both kernels; options used):`)];
  for (const u of k.used) out.push(`  ${u.option.padEnd(28)} ${u.value.padEnd(6)} ${pc.dim(u.effect)}`);
  return `${out.join('\n')}\n\n`;
}
