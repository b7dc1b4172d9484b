/**
 * drivers/pci/quirks.c pci_dev_reset_methods[]: the device_specific method. pci_dev_specific_reset
 * calls the first entry whose vendor and device match (PCI_ANY_ID = any) and returns what that
 * quirk returns; no match -> -ENOTTY. What each quirk answers in probe mode (quirks.c):
 *  - reset_intel_82599_sfp_virtfn, reset_ivb_igd, reset_chelsio_generic_dev (only device IDs
 *    0x4xxx; others -ENOTTY), : 0 in probe mode;
 *  - nvme_disable_and_flr: -ENOTTY unless class is NVMe, FLR is supported and BAR0 is assigned;
 *  - delay_250ms_after_flr, reset_hinic_vf_dev: pcie_reset_flr(dev, PCI_RESET_PROBE).
 */
import type { ResetProbeDevice } from './device.js';
import type { KernelResetProfile } from './kernels.js';
import { ENOTTY, type ProbeResult } from './result.js';
import { pcieResetFlr } from './probes-flr.js';

const PCI_ANY_ID = 0xffff;
const PCI_CLASS_STORAGE_EXPRESS = 0x010802;

export interface ResetQuirk {
  readonly vendor: number;
  readonly device: number;
  readonly name: string;
  readonly probe: (dev: ResetProbeDevice) => ProbeResult;
  /** Only in kernels whose table has it. */
  readonly since?: (k: KernelResetProfile) => boolean;
}

const ok = (name: string) => (): ProbeResult => ({ rc: 0, reason: `quirks.c ${name}: probe succeeds` });
const viaFlr = (name: string) => (dev: ResetProbeDevice): ProbeResult => {
  const r = pcieResetFlr(dev);
  return { rc: r.rc, reason: `quirks.c ${name} probes pcie_reset_flr: ${r.reason}` };
};

export const RESET_QUIRKS: readonly ResetQuirk[] = [
  { vendor: 0x8086, device: 0x10ed, name: 'reset_intel_82599_sfp_virtfn', probe: ok('reset_intel_82599_sfp_virtfn') },
  { vendor: 0x8086, device: 0x0156, name: 'reset_ivb_igd', probe: ok('reset_ivb_igd') },
  { vendor: 0x8086, device: 0x0166, name: 'reset_ivb_igd', probe: ok('reset_ivb_igd') },
  {
    vendor: 0x144d, device: 0xa804, name: 'nvme_disable_and_flr',
    probe: (dev) => {
      if (dev.classCode !== PCI_CLASS_STORAGE_EXPRESS) return { rc: ENOTTY, reason: 'quirks.c nvme_disable_and_flr: class is not NVMe' };
      if (pcieResetFlr(dev).rc !== 0) return { rc: ENOTTY, reason: 'quirks.c nvme_disable_and_flr: FLR not supported' };
      if (!dev.bar0Assigned) return { rc: ENOTTY, reason: 'quirks.c nvme_disable_and_flr: BAR0 not assigned' };
      return { rc: 0, reason: 'quirks.c nvme_disable_and_flr: NVMe with FLR and BAR0' };
    },
  },
  { vendor: 0x8086, device: 0x0953, name: 'delay_250ms_after_flr', probe: viaFlr('delay_250ms_after_flr') },
  { vendor: 0x8086, device: 0x0a54, name: 'delay_250ms_after_flr', probe: viaFlr('delay_250ms_after_flr') },
  { vendor: 0x025e, device: 0xf1ac, name: 'delay_250ms_after_flr', probe: viaFlr('delay_250ms_after_flr'), since: (k) => k.solidigmQuirk },
  {
    vendor: 0x1425, device: PCI_ANY_ID, name: 'reset_chelsio_generic_dev',
    probe: (dev) => ((dev.device & 0xf000) === 0x4000
      ? { rc: 0, reason: 'quirks.c reset_chelsio_generic_dev: T4 device (0x4xxx)' }
      : { rc: ENOTTY, reason: 'quirks.c reset_chelsio_generic_dev: not a 0x4xxx device' }),
  },
  { vendor: 0x19e5, device: 0x375e, name: 'reset_hinic_vf_dev', probe: viaFlr('reset_hinic_vf_dev') },
];

/** quirks.c pci_dev_specific_reset(dev, PCI_RESET_PROBE). */
export function pciDevSpecificReset(dev: ResetProbeDevice, kernel: KernelResetProfile): ProbeResult {
  const q = RESET_QUIRKS.find((e) => (e.since === undefined || e.since(kernel))
    && (e.vendor === dev.vendor || e.vendor === PCI_ANY_ID) && (e.device === dev.device || e.device === PCI_ANY_ID));
  if (!q) return { rc: ENOTTY, reason: 'quirks.c pci_dev_specific_reset: no entry in pci_dev_reset_methods[]' };
  return q.probe(dev);
}
