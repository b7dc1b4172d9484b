/**
 * What a corpus record's `case` may hold (`lusim fuzz --corpus` writes it, `--replay` reads it):
 * the JSON Schema of a FuzzCase, checked with ajv, then the checks a schema cannot state (a known
 * kernel profile, a drift kernel B's profile can take, capabilities the registry has). A record
 * that fails them is said to be wrong, not replayed: run as it is, an unknown kernel or a
 * capability without a key would end in a typed error, no finding, and the record would be
 * reported as a finding that is gone.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { capabilityByKey } from '../../devices/caps/index.js';
import { RESET_KINDS } from '../../devices/reset/kinds.js';
import { LusimError } from '../../devices/errors.js';
import { SAVE_FORMATS } from '../cycle/carry.js';
import { FLOWS } from '../cycle/run.js';
import { applyDrift, parseDrift } from '../linux/drift.js';
import { KERNEL_PROFILE_IDS, kernelProfile } from '../linux/profiles.js';
import type { FuzzCase } from './case.js';
import type { CapSpec, LayoutSpec } from './layout.js';

const u32 = { type: 'integer', minimum: 0, maximum: 0xffffffff } as const;
const values = { type: 'array', minItems: 1, items: u32 } as const;

const capSpec = {
  type: 'object',
  required: ['key', 'gap', 'shape'],
  additionalProperties: false,
  properties: {
    key: { type: 'string' },
    gap: { type: 'integer', minimum: 0, maximum: 1024 },
    shape: { type: 'array', items: { type: 'array', minItems: 3, maxItems: 3, items: [{ type: 'integer', minimum: 0, maximum: 4095 }, { enum: [1, 2, 4] }, u32] } },
    version: { type: 'integer', minimum: 0, maximum: 15 },
    tail: { type: 'integer', minimum: 0, maximum: 4096 },
  },
} as const;

const layoutSpec = {
  type: 'object',
  required: ['headerType', 'vendor', 'device', 'std', 'ext'],
  additionalProperties: false,
  properties: {
    headerType: { enum: [0, 1] },
    vendor: { type: 'integer', minimum: 0, maximum: 0xffff },
    device: { type: 'integer', minimum: 0, maximum: 0xffff },
    buses: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'integer', minimum: 0, maximum: 255 } },
    std: { type: 'array', items: capSpec },
    ext: { type: 'array', items: capSpec },
  },
} as const;

/** FuzzCase (sim/fuzz/case.ts) with DeviceSpec (sim/fuzz/device.ts) and LayoutSpec (sim/fuzz/layout.ts). */
export const FUZZ_CASE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'lusim fuzz case',
  type: 'object',
  required: ['device', 'from', 'to', 'format', 'flow'],
  additionalProperties: false,
  properties: {
    device: {
      type: 'object',
      discriminator: { propertyName: 'kind' },
      required: ['kind'],
      properties: { kind: { type: 'string' } },
      oneOf: [
        {
          type: 'object',
          required: ['kind', 'layout', 'values'],
          additionalProperties: false,
          properties: {
            kind: { const: 'layout' },
            layout: layoutSpec,
            values,
            parent: { type: 'object', required: ['layout', 'values'], additionalProperties: false, properties: { layout: layoutSpec, values } },
          },
        },
        {
          type: 'object',
          required: ['kind', 'drop', 'values'],
          additionalProperties: false,
          properties: { kind: { const: 'seed' }, drop: { type: 'array', items: { type: 'integer', minimum: 0 } }, values },
        },
      ],
    },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { enum: [...SAVE_FORMATS] },
    flow: { enum: [...FLOWS] },
    drift: { type: 'string' },
    reset: { enum: [...RESET_KINDS] },
  },
} as const;

let validator: ValidateFunction | undefined;

/** Compiled on first use: only --replay reads records. */
function schemaProblem(c: unknown): string | undefined {
  validator ??= new Ajv({ allErrors: false, strict: true, strictTuples: false, discriminator: true }).compile(FUZZ_CASE_SCHEMA);
  if (validator(c)) return undefined;
  const e = validator.errors?.[0];
  if (!e) return 'its "case" does not match the schema';
  const allowed = e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : e.keyword === 'discriminator' ? ': layout or seed' : '';
  return `"case${e.instancePath.replace(/\//g, '.')}" ${e.message ?? 'is invalid'}${allowed}`;
}

function capProblem(layout: LayoutSpec): string | undefined {
  const bad = (caps: readonly CapSpec[], extended: boolean) => caps.find((cap) => capabilityByKey(cap.key)?.extended !== extended);
  const std = bad(layout.std, false);
  if (std) return `standard capability "${std.key}" is not one lusim models`;
  const ext = bad(layout.ext, true);
  return ext ? `extended capability "${ext.key}" is not one lusim models` : undefined;
}

/** What is wrong with a record's case, in one phrase; undefined when it can be replayed. */
export function fuzzCaseProblem(c: unknown): string | undefined {
  const problem = schemaProblem(c);
  if (problem) return problem;
  const fc = c as FuzzCase;
  for (const k of [fc.from, fc.to]) if (!KERNEL_PROFILE_IDS.includes(k)) return `kernel "${k}" is not a profile of this lusim (${KERNEL_PROFILE_IDS.join(', ')})`;
  if (fc.drift !== undefined) {
    try {
      applyDrift(kernelProfile(fc.to), parseDrift(fc.drift));
    } catch (e) {
      if (e instanceof LusimError) return e.message;
      throw e;
    }
  }
  if (fc.device.kind === 'layout') return capProblem(fc.device.layout) ?? (fc.device.parent ? capProblem(fc.device.parent.layout) : undefined);
  return undefined;
}
