/**
 * What the PCI core Live Update series (the lu-pci profile) does to a blob saved by another
 * kernel, and what another kernel does with a lu-pci blob: its "Save and restore the ACS Control
 * register" adds an ACS entry to saved_cap_space, so pci_store_saved_state's layout changes
 * (sim/linux/profile.ts LU_PCI_BASE). Run on a function that has an ACS capability (the main job
 * uses QEMU's pcie-root-port), plain flow, Linux blob, the function alone. This is the seed
 * thread's question asked of the series that exists now.
 */
import type { PciFunction } from '../../devices/device.js';
import { fieldName } from './matrix.js';
import { runCycle } from './run.js';
import type { Verdict } from './verdict.js';

export interface CrossLoad {
  readonly from: string;
  readonly to: string;
  readonly loadError?: string;
  readonly counts: Record<Verdict, number>;
  /** REGISTER.FIELD of every field lost, corrupted, stale or refused. */
  readonly notBack: readonly string[];
  /** The cycle's notes about buffers the load did not write (stale or enumeration-time contents). */
  readonly bufferNotes: readonly string[];
}

export const LU_PCI_PAIRS: readonly (readonly [string, string])[] = [
  ['6.12', 'lu-pci'], ['7.1', 'lu-pci'], ['7.3', 'lu-pci'], ['lu-pci', 'lu-pci'], ['lu-pci', '7.3'], ['lu-pci', '7.1'], ['lu-pci', '6.12'],
];

export async function runLuPciCrossLoads(make: () => PciFunction, pairs: readonly (readonly [string, string])[] = LU_PCI_PAIRS): Promise<CrossLoad[]> {
  const out: CrossLoad[] = [];
  for (const [from, to] of pairs) {
    const r = await runCycle(make(), { from, to, format: 'linux-blob', flow: 'plain' });
    out.push({
      from, to, counts: r.counts,
      notBack: r.fields.filter((f) => f.verdict === 'lost' || f.verdict === 'corrupted' || f.verdict === 'stale' || f.verdict === 'refused').map(fieldName), ...(r.load.error ? { loadError: r.load.error } : {}),
      bufferNotes: r.notes.filter((n) => n.includes('buffer not written by the load')),
    });
  }
  return out;
}
