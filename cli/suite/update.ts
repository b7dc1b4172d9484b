/**
 * `lusim suite run --update`: rewrite the expectations that no longer hold, in place, keeping
 * the file's comments and layout (yaml's Document). A key set under `on: {KERNEL: ...}` is
 * rewritten there; a case's own key is rewritten when every kernel of the case now sees the same
 * new value, else the new value goes under `on:` for the kernels that differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isMap, isScalar, parseDocument, YAMLMap, type Document } from 'yaml';
import { kernelRuns } from '../../sim/suite/plan.js';
import { updatedValue } from '../../sim/suite/snapshot.js';
import type { PlannedTest, TestResult } from '../../sim/suite/types.js';

export function updateSuiteFiles(tests: readonly PlannedTest[], results: readonly TestResult[]): { file: string; keys: number }[] {
  const out: { file: string; keys: number }[] = [];
  for (const file of [...new Set(tests.map((t) => t.suite.file))]) {
    const text = readFileSync(file, 'utf8');
    const doc = parseDocument(text);
    let keys = 0;
    const mine = tests.filter((t) => t.suite.file === file);
    for (const [ci, c] of mine[0].suite.cases.entries()) {
      const runs = mine.filter((t) => t.case === c).map((t) => ({ t, r: results.find((x) => x.id === t.id)! }));
      const failing = new Set(runs.flatMap(({ r }) => r.checks.filter((k) => !k.pass).map((k) => k.key)));
      const expect = doc.getIn(['cases', ci, 'expect'], true) as YAMLMap;
      for (const key of failing) {
        const path = mapKey(key);
        const values = runs.map(({ t, r }) => ({ t, r, value: updatedValue(key, t.expect[key as keyof typeof t.expect], r.observed), fails: r.checks.some((k) => k.key === key && !k.pass) }));
        const inOn = (t: PlannedTest) => onLabel(text, expect, t, c.on);
        const allSame = values.every((v) => v.fails && !inOn(v.t) && JSON.stringify(v.value) === JSON.stringify(values[0].value));
        if (allSame && values[0].value !== undefined) {
          expect.setIn(path, doc.createNode(values[0].value, { flow: true }));
          keys++;
          continue;
        }
        for (const v of values.filter((x) => x.fails && x.value !== undefined)) {
          const label = inOn(v.t) ?? runLabel(v.t);
          const on = ensureMap(doc, expect, 'on');
          const entry = findKey(text, on, label) ?? ensureMap(doc, on, label);
          entry.setIn(path, doc.createNode(v.value, { flow: true }));
          keys++;
        }
      }
    }
    if (keys > 0) {
      writeFileSync(file, doc.toString({ lineWidth: 0 }));
      out.push({ file, keys });
    }
  }
  return out;
}

/** A check's key as a path in expect: fields.NAME and freeze_gates.GATE are entries of a map. */
function mapKey(key: string): string[] {
  for (const map of ['fields', 'freeze_gates']) if (key.startsWith(`${map}.`)) return [map, key.slice(map.length + 1)];
  return [key];
}

/** The on: key a test reads (its kernel, or A->B for a cycle), when the file has one. */
function onLabel(text: string, expect: YAMLMap, t: PlannedTest, on: Readonly<Record<string, unknown>>): string | undefined {
  const map = expect.get('on', true);
  if (!isMap(map)) return undefined;
  for (const label of [runLabel(t), t.kernel]) if (on[label] !== undefined && findKey(text, map as YAMLMap, label)) return label;
  return undefined;
}

function runLabel(t: PlannedTest): string {
  const runs = kernelRuns(t.case);
  return t.from !== undefined && runs.filter((r) => r.kernel === t.kernel).length > 1 ? `${t.from}->${t.to}` : t.kernel;
}

/** A map entry by the key as written: YAML reads `6.1:` as a number, the suite means the text. */
function findKey(text: string, map: YAMLMap, label: string): YAMLMap | undefined {
  for (const pair of map.items) {
    const k = pair.key;
    const written = isScalar(k) ? (k.range ? text.slice(k.range[0], k.range[1]).trim().replace(/^["']|["']$/g, '') : String(k.value)) : undefined;
    if (written === label && isMap(pair.value)) return pair.value as YAMLMap;
  }
  return undefined;
}

function ensureMap(doc: Document, parent: YAMLMap, key: string): YAMLMap {
  const existing = parent.get(key, true);
  if (isMap(existing)) return existing as YAMLMap;
  const map = new YAMLMap();
  parent.set(doc.createNode(key), map);
  return map;
}
