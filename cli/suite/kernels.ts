/**
 * A suite's `kernels:` may name a user's build (a bzImage or build directory, relative to the suite
 * file) beside profile ids: each is modelled by its profile (cli/args/kernel.ts) with its own config
 * for its side, and keeps its path as the label in the results. A path that is not a usable kernel
 * is a suite error (exit 2).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { LusimError } from '../../devices/errors.js';
import { SuiteError } from '../../sim/suite/errors.js';
import type { SideKconfig } from '../../sim/suite/run.js';
import type { PlannedTest } from '../../sim/suite/types.js';
import { isKernelPath } from '../../kexec/kernels/user-kernel.js';
import { modelKernel, type ModelKernel } from '../args/kernel.js';

/** The spec as the run resolves it: a path relative to the suite file made absolute, else unchanged. */
export function suiteKernelSpec(spec: string, suiteFile: string): string {
  return isKernelPath(spec) && !isAbsolute(spec) ? resolve(dirname(suiteFile), spec) : spec;
}

export class SuiteKernels {
  private readonly byKey = new Map<string, ModelKernel>();

  /** Resolve every kernel the tests name, up front; user kernels that are wrong are one SuiteError. */
  constructor(tests: readonly PlannedTest[]) {
    const issues = [];
    for (const t of tests) {
      for (const k of [t.kernel, t.from, t.to]) {
        if (k === undefined || !isKernelPath(k)) continue;
        const key = this.key(k, t);
        if (this.byKey.has(key)) continue;
        try {
          this.byKey.set(key, modelKernel(suiteKernelSpec(k, t.suite.file), 'kernels:'));
        } catch (e) {
          if (!(e instanceof LusimError)) throw e;
          issues.push({ file: t.suite.file, line: t.case.line, key: 'kernels', message: e.message });
        }
      }
    }
    if (issues.length > 0) throw new SuiteError(issues);
  }

  private key(spec: string, t: PlannedTest): string {
    return suiteKernelSpec(spec, t.suite.file);
  }

  /** The test with profile ids in place of paths, and the Kconfig of each user-built side. */
  onModel(t: PlannedTest): { test: PlannedTest; kconfig: SideKconfig } {
    const id = (k: string) => (isKernelPath(k) ? this.byKey.get(this.key(k, t))!.id : k);
    const own = (k: string | undefined) => (k !== undefined && isKernelPath(k) ? this.byKey.get(this.key(k, t))!.build?.kconfig.config : undefined);
    const from = own(t.from);
    const to = own(t.to);
    return {
      test: { ...t, kernel: id(t.kernel), ...(t.from !== undefined ? { from: id(t.from), to: id(t.to!) } : {}) },
      kconfig: { ...(from ? { from } : {}), ...(to ? { to } : {}) },
    };
  }
}
