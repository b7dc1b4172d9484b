/**
 * A loaded suite, the tests planned from it, and their results: the data every part of
 * `lusim suite` shares (engine in sim/suite, reporters and files in cli/suite).
 */
import type { SaveFormat } from '../cycle/carry.js';
import type { Flow } from '../cycle/run.js';
import type { ResetKind } from '../../devices/reset/kinds.js';
import type { DevFlag, SlotKind } from '../reset-methods/device.js';
import type { ResetMethodName } from '../reset-methods/kernels.js';

/** The verdicts a suite may count or name (unchanged is the rest: hundreds of fields). */
export const COUNTED_VERDICTS = ['restored', 'expected', 'lost', 'corrupted', 'stale', 'refused', 'unknown'] as const;
export type CountedVerdict = (typeof COUNTED_VERDICTS)[number];

export type DeviceRef =
  | { readonly kind: 'builtin'; readonly name: string }
  | { readonly kind: 'dump'; readonly file: string; readonly bdf?: string }
  | { readonly kind: 'qemu'; readonly name: string };

/** A count, a range, or exactly these field names. */
export type VerdictExpectation = number | { readonly min?: number; readonly max?: number } | readonly string[];

export interface Expectations {
  readonly reset_method?: readonly ResetMethodName[];
  readonly reset_works?: boolean;
  readonly reset_function_method?: ResetMethodName | 'none';
  readonly load?: 'ok' | 'refused';
  readonly restored?: VerdictExpectation;
  readonly expected?: VerdictExpectation;
  readonly lost?: VerdictExpectation;
  readonly corrupted?: VerdictExpectation;
  readonly stale?: VerdictExpectation;
  readonly refused?: VerdictExpectation;
  readonly unknown?: VerdictExpectation;
  readonly fields?: Readonly<Record<string, CountedVerdict | 'unchanged'>>;
  /** vfio-lu: kernel A's freeze() as a whole, and its gates by name (sim/cycle/vfio-lu.ts). */
  readonly freeze?: 'ok' | 'refused';
  readonly freeze_gates?: Readonly<Record<string, GateVerdict>>;
}

export type GateVerdict = 'passed' | 'refused' | 'skipped';

export const RESET_EXPECTATION_KEYS = ['reset_method', 'reset_works', 'reset_function_method'] as const;
export const CYCLE_EXPECTATION_KEYS = ['load', ...COUNTED_VERDICTS, 'fields', 'freeze', 'freeze_gates'] as const;

export interface CycleSpec {
  readonly from?: string;
  readonly to?: string;
  readonly format?: SaveFormat;
  readonly flow?: Flow;
  readonly drift?: string;
  readonly reset?: ResetKind;
  readonly preserved?: boolean;
  readonly operational?: 'driver' | 'enumerated' | 'as-found';
  readonly parent?: 'none' | 'default';
  readonly handover?: 'memmap' | 'luo';
  /** vfio-lu: what userspace left behind at the kexec. */
  readonly freeze?: { readonly irqs_enabled?: boolean; readonly d3hot?: boolean };
}

export interface ResetInputs {
  readonly flags?: readonly DevFlag[];
  readonly acpi_rst?: boolean;
  readonly slot?: SlotKind;
}

export interface SuiteCase {
  readonly name: string;
  readonly device: DeviceRef;
  readonly kernels: readonly string[];
  readonly reset?: ResetInputs;
  readonly cycle?: CycleSpec;
  readonly expect: Expectations;
  readonly on: Readonly<Record<string, Expectations>>;
  /** The YAML line of the case, for messages. */
  readonly line: number;
}

export interface Suite {
  readonly file: string;
  readonly name: string;
  readonly kernels: readonly string[];
  readonly cases: readonly SuiteCase[];
}

/** One case on one kernel (for a cycle case: one kernel pair): a JUnit testcase, a KTAP line. */
export interface PlannedTest {
  /** Stable across runs and shards: "suite/case@kernel". */
  readonly id: string;
  /** Position in the unsharded plan: merged shards sort by it. */
  readonly index: number;
  readonly suite: Suite;
  readonly case: SuiteCase;
  /** The kernel the test is filed under: the kernel, or kernel B of a cycle. */
  readonly kernel: string;
  /** Kernel A and B of a cycle case. */
  readonly from?: string;
  readonly to?: string;
  /** The case's expectations with `on[kernel]` applied. */
  readonly expect: Expectations;
}

export interface Check {
  readonly key: string;
  readonly pass: boolean;
  readonly expected: unknown;
  readonly actual: unknown;
  /** Why the actual value is what it is, from the model (the kernel function or rule). */
  readonly why: string;
}

/** What a test observed, in expectation keys: `suite init` and `--update` write these back. */
export interface Observed {
  readonly reset_method?: readonly ResetMethodName[];
  readonly reset_works?: boolean;
  readonly reset_function_method?: ResetMethodName | 'none';
  readonly load?: 'ok' | 'refused';
  /** The named fields per counted verdict. */
  readonly verdicts?: Readonly<Record<CountedVerdict, readonly string[]>>;
  /** vfio-lu: each freeze() gate's verdict, in order. */
  readonly freeze_gates?: Readonly<Record<string, GateVerdict>>;
}

export type TestStatus = 'pass' | 'fail' | 'error';

export interface TestResult {
  readonly id: string;
  readonly index: number;
  readonly suite: string;
  readonly file: string;
  readonly case: string;
  readonly kernel: string;
  readonly from?: string;
  readonly to?: string;
  readonly kind: 'reset' | 'cycle';
  readonly source: 'model' | 'qemu';
  readonly status: TestStatus;
  readonly checks: readonly Check[];
  readonly observed: Observed;
  /** What the reader should know about how the test ran (e.g. model only under --qemu). */
  readonly notes?: readonly string[];
  /** For status error: what went wrong running the test. */
  readonly error?: string;
  readonly seconds: number;
}
