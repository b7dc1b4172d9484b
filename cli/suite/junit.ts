/**
 * JUnit XML as GitLab and Jenkins read it: <testsuites> holding one <testsuite> per kernel, one
 * <testcase> per case and kernel (classname the suite, name the case and the kernel or kernel
 * pair), a <failure> whose message says expected vs actual and whose text says why. Each
 * <testsuite> opens with <properties> naming the run (its suites and files, the results format and
 * source), so `lusim suite merge` can plan the run again from JUnit alone (cli/suite/junit-read.ts).
 */
import { describeCheck } from '../../sim/suite/expect.js';
import type { TestResult } from '../../sim/suite/types.js';
import type { SuiteResults } from './results.js';
import { totals } from './results.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
  // XML 1.0 forbids most control characters, even escaped.
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

const secs = (rs: readonly TestResult[]) => rs.reduce((s, r) => s + r.seconds, 0).toFixed(3);

export function testcaseName(r: Pick<TestResult, 'case' | 'kernel' | 'from' | 'to'>): string {
  return `${r.case} [${r.from !== undefined ? `${r.from} -> ${r.to}` : r.kernel}]`;
}

export function renderJunit(doc: SuiteResults): string {
  const kernels = [...new Set(doc.results.map((r) => r.kernel))];
  const t = totals(doc.results);
  const name = doc.suites.map((s) => s.name).join(', ');
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${esc(name)}" tests="${t.tests}" failures="${t.fail}" errors="${t.error}" time="${secs(doc.results)}">`];
  for (const k of kernels) {
    const rs = doc.results.filter((r) => r.kernel === k);
    const kt = totals(rs);
    out.push(`  <testsuite name="${esc(`kernel ${k}`)}" tests="${kt.tests}" failures="${kt.fail}" errors="${kt.error}" skipped="0" time="${secs(rs)}">`);
    out.push('    <properties>', ...runProperties(doc).map(([n, v]) => `      <property name="${n}" value="${esc(v)}"/>`), '    </properties>');
    for (const r of rs) out.push(...testcase(r));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

/** The run a JUnit file belongs to: what `suite merge` needs besides the testcases. */
export const JUNIT_PROPERTIES = { format: 'lusim.format', source: 'lusim.source', suites: 'lusim.suites' } as const;

function runProperties(doc: SuiteResults): [string, string][] {
  return [[JUNIT_PROPERTIES.format, doc.format], [JUNIT_PROPERTIES.source, doc.source], [JUNIT_PROPERTIES.suites, JSON.stringify(doc.suites)]];
}

function testcase(r: TestResult): string[] {
  const open = `    <testcase classname="${esc(r.suite)}" name="${esc(testcaseName(r))}" file="${esc(r.file)}" time="${r.seconds.toFixed(3)}"`;
  if (r.status === 'pass') return [`${open}/>`];
  if (r.status === 'error') return [`${open}>`, `      <error message="${esc(r.error ?? 'error')}" type="${r.source}"/>`, '    </testcase>'];
  const failed = r.checks.filter((c) => !c.pass);
  const message = failed.map((c) => `${c.key}: expected ${JSON.stringify(c.expected)}, got ${JSON.stringify(c.actual)}`).join('; ');
  return [`${open}>`, `      <failure message="${esc(message)}" type="${r.source}">${esc(failed.map(describeCheck).join('\n'))}</failure>`, '    </testcase>'];
}
