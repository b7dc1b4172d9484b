/**
 * The malformed-layout campaign, kept apart from the semantic one: a generated layout broken the
 * ways real config spaces are (a next pointer looping back, pointing into another capability,
 * into the header or out of range; truncated dumps; stray bytes in the capability headers), and a
 * valid handover encoding (Linux blob, lusim-v1, FDT, envelope: sim/fuzz/encodings.ts) cut short,
 * extended or with bits flipped. The walker, the model builder, the cycle and every loader must
 * answer with typed errors or walker findings only: the one oracle is typed-errors (and time-bound).
 */
import fc from 'fast-check';
import { buildFunction } from '../../devices/device.js';
import type { DumpDevice } from '../../devices/dump/types.js';
import { parseBdf } from '../../devices/dump/bdf.js';
import { walkCapabilities } from '../../devices/walker.js';
import { runCycle } from '../cycle/run.js';
import { caseSeed } from './campaign.js';
import { layoutDevice } from './device.js';
import { encodeLayout } from './layout.js';
import { judgeError, judgeTime, type Finding } from './oracles.js';
import type { SaveFormat } from '../cycle/carry.js';
import { LOADERS, VALID_ENCODINGS, type LoaderName } from './encodings.js';

export type Mutation =
  | { readonly kind: 'loop' | 'into-cap'; readonly cap: number; readonly target: number }
  | { readonly kind: 'pointer'; readonly value: number }
  | { readonly kind: 'truncate'; readonly length: number }
  | { readonly kind: 'bytes'; readonly at: number; readonly values: readonly number[] };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('loop' as const, 'into-cap' as const), cap: fc.nat({ max: 12 }), target: fc.nat({ max: 12 }) }),
  fc.record({ kind: fc.constant('pointer' as const), value: fc.nat({ max: 0xff }) }),
  fc.record({ kind: fc.constant('truncate' as const), length: fc.constantFrom(0, 4, 64, 128, 255, 256, 0x104, 0x200, 4095) }),
  fc.record({ kind: fc.constant('bytes' as const), at: fc.nat({ max: 0x1ff }), values: fc.array(fc.nat({ max: 0xff }), { minLength: 1, maxLength: 8 }) }),
);

/** Applies a mutation to encoded bytes; capability offsets come from the intact layout. */
export function mutate(bytes: Uint8Array, offsets: readonly { offset: number; extended: boolean }[], m: Mutation): Uint8Array {
  const out = bytes.slice();
  if (m.kind === 'truncate') return out.slice(0, m.length);
  if (m.kind === 'pointer') { out[0x34] = m.value; return out; }
  if (m.kind === 'bytes') { m.values.forEach((v, i) => { out[m.at + i] = v; }); return out; }
  if (!offsets.length) return out;
  const from = offsets[m.cap % offsets.length];
  const same = offsets.filter((o) => o.extended === from.extended);
  const to = same[m.target % same.length];
  // loop: point back at an earlier (or the same) capability; into-cap: into the middle of one.
  const target = m.kind === 'loop' ? to.offset : to.offset + 4;
  if (from.extended) {
    const head = (out[from.offset] | (out[from.offset + 1] << 8) | (out[from.offset + 2] << 16) | (out[from.offset + 3] << 24)) >>> 0;
    const v = ((head & 0x000fffff) | ((target & 0xfff) << 20)) >>> 0;
    for (let i = 0; i < 4; i++) out[from.offset + i] = (v >>> (8 * i)) & 0xff;
  } else {
    out[from.offset + 1] = target & 0xff;
  }
  return out;
}

/** A valid encoding broken: cut at `cut`, `tail` appended, bit `flip` inverted (each optional). */
export interface BlobBreak {
  readonly loader: LoaderName;
  readonly bytes: Uint8Array;
}

const blobBreak: fc.Arbitrary<BlobBreak> = fc.constantFrom(...(Object.keys(LOADERS) as LoaderName[])).chain((loader) =>
  fc.record({ good: VALID_ENCODINGS[loader], cut: fc.option(fc.nat(), { nil: undefined }), tail: fc.uint8Array({ maxLength: 16 }), flip: fc.option(fc.nat(), { nil: undefined }) })
    .map(({ good, cut, tail, flip }) => {
      const kept = cut === undefined ? good : good.subarray(0, cut % (good.length + 1));
      const bytes = Uint8Array.of(...kept, ...tail);
      if (flip !== undefined && bytes.length) bytes[(flip >> 3) % bytes.length] ^= 1 << (flip & 7);
      return { loader, bytes };
    }));

export interface MalformedConfig {
  readonly seed: number;
  readonly kernels: readonly string[];
  readonly formats: readonly SaveFormat[];
  readonly timeBoundMs?: number;
}

export interface MalformedFinding extends Finding {
  readonly signature: string;
  readonly index: number;
  readonly mutation: Mutation;
  readonly dump: DumpDevice;
  /** Set when a loader, not the layout, failed. */
  readonly blob?: BlobBreak;
}

function caseArb(config: MalformedConfig) {
  return fc.record({
    device: layoutDevice, mutation, blob: blobBreak,
    from: fc.constantFrom(...config.kernels), to: fc.constantFrom(...config.kernels), format: fc.constantFrom(...config.formats),
  });
}

/** Walk, build and cycle one broken dump; whatever is thrown must be typed. */
async function runOne(dump: DumpDevice, c: { from: string; to: string; format: SaveFormat }, boundMs: number): Promise<Finding[]> {
  const started = Date.now();
  let findings: Finding[] = [];
  try {
    walkCapabilities(dump.bytes);
    await runCycle(buildFunction(dump), { from: c.from, to: c.to, format: c.format, flow: 'plain', operational: 'as-found' });
  } catch (err) {
    findings = judgeError(err);
  }
  return [...findings, ...judgeTime(Date.now() - started, boundMs)];
}

/** A loader on broken bytes: a SimError is its answer, anything else a finding. */
function loadBroken(b: BlobBreak): Finding[] {
  try {
    LOADERS[b.loader](b.bytes);
    return [];
  } catch (err) {
    return judgeError(err);
  }
}

export interface MalformedRun {
  readonly cases: number;
  readonly findings: readonly MalformedFinding[];
}

/** `between` is awaited before each case (the CLI yields to its event loop there, so a signal is heard). */
export async function runMalformed(config: MalformedConfig, plan: { runs?: number; stop?: () => boolean; between?: () => Promise<void>; onProgress?: (cases: number, found: number) => void }): Promise<MalformedRun> {
  const seen = new Map<string, MalformedFinding>();
  let cases = 0;
  for (let index = 0; plan.runs === undefined || index < plan.runs; index++) {
    if (plan.between) await plan.between();
    if (plan.stop?.()) break;
    const [c] = fc.sample(caseArb(config), { seed: caseSeed(config.seed, index), numRuns: 1 });
    const enc = encodeLayout(c.device.layout);
    const dump: DumpDevice = { bdf: parseBdf('00:03.0'), description: 'Ethernet controller: lusim fuzz malformed device', bytes: mutate(enc.bytes, enc.placements, c.mutation) };
    cases++;
    for (const f of await runOne(dump, c, config.timeBoundMs ?? 2000)) {
      const signature = `${f.oracle}/${f.kind} | layout ${c.mutation.kind} | ${f.registers.join(',') || '-'}`;
      if (!seen.has(signature)) seen.set(signature, { ...f, signature, index, mutation: c.mutation, dump });
    }
    for (const f of loadBroken(c.blob)) {
      const signature = `${f.oracle}/${f.kind} | loader ${c.blob.loader} | ${f.registers.join(',') || '-'}`;
      if (!seen.has(signature)) seen.set(signature, { ...f, signature, index, mutation: c.mutation, dump, blob: c.blob });
    }
    if (cases % 50 === 0) plan.onProgress?.(cases, seen.size);
  }
  return { cases, findings: [...seen.values()] };
}
