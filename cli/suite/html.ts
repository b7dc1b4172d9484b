/**
 * `--html FILE`: one self-contained page (no network, no script from elsewhere): every test with
 * pass/fail and its failed checks, and per cycle test a config-space map (sim/suite/config-map.ts:
 * 4096 cells per function coloured by verdict, capability starts marked, a cell's title naming
 * register, field, values and the kernel function) and the write timeline. Written as XHTML so a
 * plain XML parser can check it.
 */
import type { CycleResult } from '../../sim/cycle/run.js';
import { configMap, VERDICT_RANK } from '../../sim/suite/config-map.js';
import { describeCheck } from '../../sim/suite/expect.js';
import type { SuiteDevice } from '../../sim/suite/run.js';
import type { TestResult } from '../../sim/suite/types.js';
import { testcaseName } from './junit.js';
import type { SuiteResults } from './results.js';
import { totals } from './results.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const hex = (n: number, w = 3) => `0x${n.toString(16).padStart(w, '0')}`;

const COLOURS: Readonly<Record<string, string>> = {
  corrupted: '#d7263d', refused: '#8e44ad', stale: '#f39c12', lost: '#e67e22', unknown: '#7f8c8d', restored: '#2e86de', expected: '#27ae60', unchanged: '#d5d8dc', none: '#f4f6f7',
};

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222 }
table.tests { border-collapse: collapse } .tests td, .tests th { border: 1px solid #ccc; padding: 2px 6px; text-align: left }
.pass { color: #1e8449 } .fail, .error { color: #c0392b; font-weight: bold }
.map { display: grid; grid-template-columns: repeat(64, 9px); gap: 1px; margin: 4px 0 12px; width: max-content }
.map span { width: 9px; height: 9px; display: block } .map span.cap { outline: 1px solid #000 }
.legend span { display: inline-block; padding: 0 6px; margin-right: 4px; color: #fff }
table.timeline { font: 12px monospace; border-collapse: collapse } .timeline td { padding: 0 6px }
${Object.entries(COLOURS).map(([v, c]) => `.v-${v} { background: ${c} }`).join('\n')}
`;

export function renderHtml(doc: SuiteResults, cycles: ReadonlyMap<string, CycleResult>, devices: ReadonlyMap<string, SuiteDevice>): string {
  const t = totals(doc.results);
  const body = [
    `<h1>lusim suite: ${esc(doc.suites.map((s) => s.name).join(', '))}</h1>`,
    `<p id="totals">${t.tests} tests: ${t.pass} passed, ${t.fail} failed, ${t.error} errors (${doc.source})</p>`,
    '<table class="tests"><thead><tr><th>suite</th><th>test</th><th>result</th><th>why</th></tr></thead><tbody>',
    ...doc.results.map((r) => `<tr class="test" data-status="${r.status}"><td>${esc(r.suite)}</td><td>${cycles.has(r.id) ? `<a href="#${anchor(r.id)}">${esc(testcaseName(r))}</a>` : esc(testcaseName(r))}</td><td class="${r.status}">${r.status}</td><td>${esc(why(r))}</td></tr>`),
    '</tbody></table>',
    `<p class="legend">${VERDICT_RANK.map((v) => `<span class="v-${v}">${v}</span>`).join('')}<span class="v-none" style="color:#222">no field</span></p>`,
    ...doc.results.filter((r) => cycles.has(r.id)).map((r) => cycleSection(r, cycles.get(r.id)!, devices.get(`${r.suite}/${r.case}`))),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/><title>lusim suite</title><style>${STYLE}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
}

const anchor = (id: string) => `t-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;

function why(r: TestResult): string {
  if (r.error) return r.error;
  return r.checks.filter((c) => !c.pass).map(describeCheck).join('\n');
}

function cycleSection(r: TestResult, c: CycleResult, dev: SuiteDevice | undefined): string {
  const maps = dev ? [{ fn: 'dev' as const, bytes: dev.dump.bytes, label: `device ${c.bdf}` }, ...(c.parent && dev.parent ? [{ fn: 'parent' as const, bytes: dev.parent.bytes, label: `upstream port ${c.parent.bdf}` }] : [])] : [];
  const out = [`<section class="cycle" id="${anchor(r.id)}"><h2>${esc(r.suite)}: ${esc(testcaseName(r))}</h2>`,
    `<p>${esc(`${c.options.from} -> ${c.options.to}, ${c.options.flow}/${c.carried.format}, load ${c.load.ret}${c.load.error ? ` (${c.load.error})` : ''}; ${VERDICT_RANK.filter((v) => v !== 'unchanged').map((v) => `${v} ${c.counts[v]}`).join(', ')}`)}</p>`];
  for (const m of maps) {
    const map = configMap(m.fn, m.bytes, c.fields);
    out.push(`<h3>${esc(m.label)}: ${map.capabilities.map((x) => `${esc(x.name)} @${hex(x.offset)}`).join(', ')}</h3>`, `<div class="map" data-function="${m.fn}">`);
    for (const cell of map.cells) {
      const title = [`${hex(cell.offset)} ${cell.region}`, ...cell.fields.map((f) => `${f.register}.${f.field} [${f.bits}] ${f.verdict}: ${hex(f.before, 1)} -> ${hex(f.mid, 1)} -> ${hex(f.after, 1)}; ${f.rule}${f.writers.length ? `; written by ${f.writers.join(', ')}` : ''}`)].join('\n');
      out.push(`<span class="v-${cell.verdict ?? 'none'}${cell.capStart ? ' cap' : ''}" title="${esc(title)}"></span>`);
    }
    out.push('</div>');
  }
  out.push('<table class="timeline"><thead><tr><th>phase</th><th>function</th><th>step</th><th>offset</th><th>width</th><th>value</th></tr></thead><tbody>',
    ...c.timeline.map((w) => `<tr class="write"><td>${esc(w.phase)}</td><td>${w.target}</td><td>${esc(w.step)}</td><td>${w.space === 'bar' ? 'BAR ' : ''}${hex(w.offset)}</td><td>${w.width}</td><td>${hex(w.value, 1)}</td></tr>`),
    '</tbody></table></section>');
  return out.join('\n');
}
