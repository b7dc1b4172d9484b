/**
 * KTAP on stdout as kselftest prints it (tools/testing/selftests/kselftest.h: ksft_print_header
 * "TAP version 13", ksft_set_plan "1..N", "ok N name" / "not ok N name", "# " diagnostics from
 * ksft_print_msg, and ksft_print_cnts' "# Totals:" line).
 */
import { describeCheck } from '../../sim/suite/expect.js';
import type { SuiteResults } from './results.js';
import { totals } from './results.js';
import { testcaseName } from './junit.js';

export function renderKtap(doc: SuiteResults): string {
  const out = ['TAP version 13', `1..${doc.results.length}`];
  doc.results.forEach((r, i) => {
    // A test name is one line; '#' would start a directive.
    const name = `${r.suite}: ${testcaseName(r)}`.replace(/[#\n]/g, ' ');
    if (r.status === 'error') out.push(`# ${r.error ?? 'error'}`);
    for (const c of r.checks.filter((x) => !x.pass)) out.push(...describeCheck(c).split('\n').map((l) => `# ${l}`));
    out.push(`${r.status === 'pass' ? 'ok' : 'not ok'} ${i + 1} ${name}`);
  });
  const t = totals(doc.results);
  out.push(`# Totals: pass:${t.pass} fail:${t.fail} xfail:0 xpass:0 skip:0 error:${t.error}`);
  return `${out.join('\n')}\n`;
}
