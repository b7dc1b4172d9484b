/**
 * The layout-drift experiments of the main job: the same kernel pair, kernel B's layout drifted the
 * way an innocuous commit would, carried once in the Linux blob and once in lusim-v1. This is the
 * October 2025 review's question in one table: what does a layout change do to a device?
 */
import { capabilityById } from '../../devices/capability-lookup.js';
import { PCI_CAP_ID_EXP, PCI_EXT_CAP_ID_ERR } from '../../devices/pci-regs.js';
import type { PciFunction } from '../../devices/device.js';
import { SAVE_FORMATS, type SaveFormat } from './carry.js';
import { fieldName } from './matrix.js';
import { hasRtctl } from './provenance.js';
import { runCycle } from './run.js';
import type { Verdict } from './verdict.js';

export const DEFAULT_DRIFTS: readonly string[] = ['pcie:+reg', 'pcie:swap(DEVCTL2,LNKCTL2)', 'pcie:swap(DEVCTL,LNKCTL)', 'aer:-ROOT_COMMAND'];

export interface DriftOutcome {
  readonly drift: string;
  readonly format: SaveFormat;
  readonly loadError?: string;
  readonly counts: Record<Verdict, number>;
  /** Fields that did not come back, with the rule. */
  readonly problems: readonly { readonly verdict: Verdict; readonly field: string; readonly rule: string }[];
  /** The drift touches a buffer this device does not have. */
  readonly applicable: boolean;
  /** Fields written from another register's slot whose values happen to coincide. */
  readonly latent: number;
}

export async function runDriftExperiments(make: () => PciFunction, opts: { from: string; to: string; drifts?: readonly string[]; barSizes?: readonly (number | undefined)[]; makeParent?: () => PciFunction }): Promise<DriftOutcome[]> {
  const out: DriftOutcome[] = [];
  for (const drift of opts.drifts ?? DEFAULT_DRIFTS) {
    for (const format of SAVE_FORMATS) {
      const fn = make();
      const buffer = drift.split(':')[0];
      // The AER root slots (ROOT_COMMAND) exist only where pcie_cap_has_rtctl: Root Ports and RCECs.
      const applicable = (buffer === 'pcie' ? capabilityById(fn, PCI_CAP_ID_EXP, false) : capabilityById(fn, PCI_EXT_CAP_ID_ERR, true)) !== undefined
        && (!/ROOT_/.test(drift) || hasRtctl(fn));
      const r = await runCycle(fn, { from: opts.from, to: opts.to, format, flow: 'plain', drift, ...(opts.barSizes ? { barSizes: opts.barSizes } : {}), ...(opts.makeParent ? { parent: opts.makeParent() } : {}) });
      out.push({
        drift, format, applicable, counts: r.counts,
        latent: r.fields.filter((f) => f.rule.includes('latent corruption')).length,
        ...(r.load.error ? { loadError: r.load.error } : {}),
        problems: r.fields.filter((f) => f.verdict === 'corrupted' || f.verdict === 'stale' || f.verdict === 'refused').map((f) => ({ verdict: f.verdict, field: fieldName(f), rule: f.rule })),
      });
    }
  }
  return out;
}
