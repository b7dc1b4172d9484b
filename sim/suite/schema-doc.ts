/**
 * The key reference of docs/suites.md, written from the JSON Schema (sim/suite/schema.ts) so the
 * docs cannot drift from what the loader enforces (scripts/gen-suite-docs.ts writes it, a test
 * checks it).
 */
import { SUITE_SCHEMA } from './schema.js';

interface S { type?: string; enum?: readonly unknown[]; items?: S; oneOf?: readonly S[]; properties?: Record<string, S>; additionalProperties?: S | boolean; required?: readonly string[]; description?: string; minimum?: number }

function typeOf(s: S): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.oneOf) return s.oneOf.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (s.type === 'object') {
    if (s.properties) return `{${Object.keys(s.properties).join(', ')}}`;
    return 'mapping';
  }
  return s.type ?? 'value';
}

function table(title: string, props: Record<string, S>, required: readonly string[] = []): string[] {
  return [
    `### ${title}`, '',
    '| key | value | meaning |', '|---|---|---|',
    ...Object.entries(props).map(([k, s]) => `| \`${k}\`${required.includes(k) ? ' (required)' : ''} | ${typeOf(s)} | ${(s.description ?? '').replace(/\|/g, '\\|')} |`),
    '',
  ];
}

export function schemaReference(): string {
  const root = SUITE_SCHEMA as unknown as S;
  const kase = root.properties!.cases.items!;
  const expect = kase.properties!.expect;
  return [
    ...table('The suite', root.properties!, root.required),
    ...table('A case (`cases[]`)', kase.properties!, kase.required),
    ...table('Reset inputs (`reset:`)', kase.properties!.reset.properties!),
    ...table('A cycle (`cycle:`)', kase.properties!.cycle.properties!),
    ...table('Expectations (`expect:`, and each `on: {KERNEL: ...}`)', expect.properties!),
  ].join('\n');
}
