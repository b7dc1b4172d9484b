/** The text a person reads at the end of a run: failures with their reasons, then a table per suite. */
import Table from 'cli-table3';
import { describeCheck } from '../../sim/suite/expect.js';
import type { SuiteResults } from './results.js';
import { totals } from './results.js';
import { testcaseName } from './junit.js';

export function renderSummary(doc: SuiteResults): string {
  const out: string[] = [];
  const bad = doc.results.filter((r) => r.status !== 'pass');
  if (bad.length > 0) {
    out.push('Failures:');
    for (const r of bad) {
      out.push(`  ${r.suite}: ${testcaseName(r)}  (${r.file})`);
      if (r.error) out.push(`    error: ${r.error}`);
      for (const c of r.checks.filter((x) => !x.pass)) out.push(`    ${describeCheck(c)}`);
    }
    out.push('');
  }
  for (const s of doc.suites) {
    const rs = doc.results.filter((r) => r.suite === s.name);
    if (rs.length === 0) continue;
    const kernels = [...new Set(rs.map((r) => r.kernel))];
    const table = new Table({ head: ['case', ...kernels.map((k) => `kernel ${k}`)], style: { head: [], border: [] } });
    for (const name of [...new Set(rs.map((r) => r.case))]) {
      table.push([name, ...kernels.map((k) => rs.filter((r) => r.case === name && r.kernel === k).map((r) => (r.status === 'pass' ? 'pass' : r.status === 'fail' ? 'FAIL' : 'ERROR')).join(' ') || '-')]);
    }
    out.push(`${s.name} (${s.file})`, table.toString(), '');
  }
  const t = totals(doc.results);
  const shard = doc.shard ? ` (shard ${doc.shard.index}/${doc.shard.count} of ${doc.planned})` : '';
  out.push(`${t.tests} tests${shard}: ${t.pass} passed, ${t.fail} failed, ${t.error} errors (${doc.source})`);
  return `${out.join('\n')}\n`;
}
