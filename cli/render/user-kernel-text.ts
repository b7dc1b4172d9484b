/** What `lusim cycle` says about a user's kernel (cli/args/kernel.ts): the profile it got and why, and its own Kconfig. */
import pc from 'picocolors';
import type { ModelKernel } from '../args/kernel.js';

export function userKernelJson(k: ModelKernel): Record<string, unknown> {
  const b = k.build!;
  return { spec: b.spec, release: b.release, profile: k.id, why: b.why, warnings: b.warnings, kconfig: { file: b.kconfig.file, used: b.kconfig.used } };
}

export function renderUserKernels(a: ModelKernel, b: ModelKernel): string {
  const out: string[] = [];
  for (const [side, k] of [['A', a], ['B', b]] as const) {
    if (!k.build) continue;
    out.push(pc.bold(`Kernel ${side}: ${k.build.spec}: ${k.build.release}, profile ${k.id} (${k.build.why})`));
    for (const w of k.build.warnings) out.push(pc.yellow(`  warning: ${w}`));
    out.push(`  Kconfig from ${k.build.kconfig.file}: ${k.build.kconfig.used.map((u) => `${u.option.replace('CONFIG_', '')}=${u.value}`).join(' ')}`);
  }
  return out.length ? `${out.join('\n')}\n\n` : '';
}
