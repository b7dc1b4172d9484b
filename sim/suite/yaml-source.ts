/**
 * The YAML side of loading a suite: parse with positions, keep kernel versions as written, and
 * find the line of any key path so every error can name it.
 */
import { isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { SuiteIssue } from './errors.js';

export type KeyPath = readonly (string | number)[];

export interface YamlSource {
  readonly file: string;
  readonly doc: Document;
  readonly value: unknown;
  lineOf(path: KeyPath, key?: string): number;
}

/** `cases[1].expect.reset_works`, the way a user reads the file. */
export function keyName(path: KeyPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

export function parseYaml(text: string, file: string): YamlSource | { issues: SuiteIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { issues: doc.errors.map((e) => ({ file, line: lines.linePos(e.pos[0]).line, key: '', message: `not valid YAML: ${e.message.split('\n')[0]}` })) };
  }
  // YAML 1.2 reads 6.10 as the number 6.1: every version must stay the text the user wrote. No
  // number in a suite has a fraction, so a scalar written with a '.' is kept as its source text.
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'number' && node.range && /[.]/.test(text.slice(node.range[0], node.range[1]))) {
        node.value = text.slice(node.range[0], node.range[1]).trim();
      }
    },
  });
  const lineAt = (n: Node | null | undefined) => (n?.range ? lines.linePos(n.range[0]).line : 1);
  return {
    file, doc, value: doc.toJS(),
    lineOf(path, key) {
      for (let depth = path.length; depth >= 0; depth--) {
        const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
        if (!node || (depth > 0 && !isNodeLike(node))) continue;
        if (key !== undefined && depth === path.length && isMap(node)) {
          const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
          if (pair && isScalar(pair.key)) return lineAt(pair.key);
        }
        return lineAt(node as Node);
      }
      return 1;
    },
  };
}

function isNodeLike(n: unknown): boolean {
  return typeof n === 'object' && n !== null && 'range' in n;
}
