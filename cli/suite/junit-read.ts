/**
 * JUnit written by `lusim suite run --junit`, read back for `lusim suite merge` (a CI matrix that
 * kept only junit.xml). The <properties> of each <testsuite> name the run's suites and files
 * (cli/suite/junit.ts); the suite files are planned again to give each testcase its id, plan
 * index and kernels, and each <failure> is parsed back into the checks that failed. JUnit holds
 * no passing checks and no observed values, so a result read from it has only its failed checks;
 * its JUnit and KTAP are the run's own.
 */
import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { loadSuite } from '../../sim/suite/load.js';
import { planTests } from '../../sim/suite/plan.js';
import { show } from '../../sim/suite/expect.js';
import type { Check, TestResult } from '../../sim/suite/types.js';
import { fsErrorReason } from '../../devices/errors.js';
import { CliError } from '../errors.js';
import { JUNIT_PROPERTIES, testcaseName } from './junit.js';
import { readResults, RESULTS_FORMAT, type SuiteResults } from './results.js';

interface XmlCase { '@_name': string; '@_classname': string; '@_time': string; failure?: { '@_message': string; '@_type': string; '#text'?: string }; error?: { '@_message': string; '@_type': string } }
interface XmlSuite { properties?: { property: { '@_name': string; '@_value': string }[] }; testcase?: XmlCase[] }

const unreadable = (path: string, why: string) => new CliError('file-unreadable', `${path} is not JUnit from lusim suite run --junit (${why}); give files written by lusim suite run --json or --junit`, { path });

export function readJunitResults(path: string, xml: string): SuiteResults {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw unreadable(path, `line ${valid.err.line}: ${valid.err.msg}`);
  const parsed = new XMLParser({ ignoreAttributes: false, trimValues: false, isArray: (n) => ['testsuite', 'testcase', 'property'].includes(n) }).parse(xml) as { testsuites?: { testsuite?: XmlSuite[] } };
  const suites = parsed.testsuites?.testsuite ?? [];
  const props = new Map((suites[0]?.properties?.property ?? []).map((p) => [p['@_name'], p['@_value']]));
  if (props.get(JUNIT_PROPERTIES.format) !== RESULTS_FORMAT) throw unreadable(path, `no ${JUNIT_PROPERTIES.format} property ${RESULTS_FORMAT}`);
  const run = JSON.parse(props.get(JUNIT_PROPERTIES.suites) ?? '[]') as { name: string; file: string }[];
  const source = props.get(JUNIT_PROPERTIES.source) === 'model+qemu' ? 'model+qemu' : 'model';
  // Kernels were checked when the run planned; any text is a kernel here.
  const plan = planTests(run.map((s) => {
    let text: string;
    try { text = readFileSync(s.file, 'utf8'); } catch { throw new CliError('file-unreadable', `${path} is a run of ${s.file}, which cannot be read here: merge JUnit in the directory the suite ran in`, { path, file: s.file }); }
    return loadSuite(text, s.file, { isKnownKernel: () => true, knownKernels: '' });
  }));
  const byName = new Map(plan.map((t) => [`${t.suite.name}\u0000${testcaseName({ case: t.case.name, kernel: t.kernel, ...(t.from !== undefined ? { from: t.from, to: t.to } : {}) })}`, t]));
  const results = suites.flatMap((s) => s.testcase ?? []).map((c): TestResult => {
    const t = byName.get(`${c['@_classname']}\u0000${c['@_name']}`);
    if (!t) throw unreadable(path, `testcase "${c['@_name']}" of suite "${c['@_classname']}" is not in today's ${run.map((s) => s.file).join(', ')}: the suite files changed since the run`);
    const failure = c.failure ? parseFailure(c.failure['@_message'], c.failure['#text'] ?? '') : undefined;
    const type = c.failure?.['@_type'] ?? c.error?.['@_type'];
    return {
      id: t.id, index: t.index, suite: t.suite.name, file: t.suite.file, case: t.case.name, kernel: t.kernel,
      ...(t.from !== undefined ? { from: t.from, to: t.to } : {}), kind: t.case.cycle ? 'cycle' : 'reset',
      source: type === 'qemu' || (type === undefined && source === 'model+qemu') ? 'qemu' : 'model',
      status: c.error ? 'error' : failure ? 'fail' : 'pass', checks: failure ?? [], observed: {},
      ...(c.error ? { error: c.error['@_message'] } : {}), seconds: Number(c['@_time']),
    };
  });
  return { format: RESULTS_FORMAT, suites: run, planned: plan.length, source, results };
}

/**
 * The failed checks back from junit.ts: the message is `KEY: expected JSON, got JSON` per check,
 * joined by "; "; the text is describeCheck's line per check, whose tail after the values is why.
 */
function parseFailure(message: string, text: string): Check[] {
  const checks: Check[] = [];
  let at = 0;
  while (at < message.length) {
    const keyEnd = message.indexOf(': expected ', at);
    if (keyEnd < 0) break;
    const key = message.slice(at, keyEnd);
    const expected = jsonPrefix(message, keyEnd + ': expected '.length, (rest) => rest.startsWith(', got '));
    const actual = jsonPrefix(message, expected.end + ', got '.length, (rest) => rest === '' || rest.startsWith('; '));
    checks.push({ key, pass: false, expected: expected.value, actual: actual.value, why: '' });
    at = actual.end + 2;
  }
  // Each line of the text starts with its check's key and values; why runs to the next check's line.
  const heads = checks.map((c) => `${c.key}: expected ${show(c.expected)}, got ${show(c.actual)}`);
  let pos = 0;
  return checks.map((c, i) => {
    const start = text.indexOf(heads[i]!, pos) + heads[i]!.length;
    const next = i + 1 < heads.length ? text.indexOf(`\n${heads[i + 1]}`, start) : text.length;
    pos = next;
    return { ...c, why: text.slice(start, next).replace(/^: /, '') };
  });
}

/** The shortest JSON value at `from` that `after` accepts what follows (JSON.stringify wrote it). */
function jsonPrefix(s: string, from: number, after: (rest: string) => boolean): { value: unknown; end: number } {
  if (s.startsWith('undefined', from) && after(s.slice(from + 9))) return { value: undefined, end: from + 9 };
  for (let end = from + 1; end <= s.length; end++) {
    if (!after(s.slice(end))) continue;
    try { return { value: JSON.parse(s.slice(from, end)), end }; } catch { /* not yet a whole value */ }
  }
  throw new CliError('file-unreadable', `a JUnit failure message lusim did not write: "${s.slice(from, from + 60)}"`, {});
}

/** A results file for `suite merge`: lusim's JSON, or its JUnit (told apart by the first character). */
export function readResultsFile(path: string): SuiteResults {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError('file-unreadable', `cannot read ${path} (${fsErrorReason(e)}): give files written by lusim suite run --json or --junit`, { path });
  }
  return text.trimStart().startsWith('<') ? readJunitResults(path, text) : readResults(path);
}
