/**
 * QEMU's `pci_cfg_write` trace event as a write record. hw/pci/trace-events (QEMU 7.2):
 *   pci_cfg_write(const char *dev, uint32_t bus, uint32_t slot, uint32_t func, unsigned offs, unsigned val)
 *     "%s %02x:%02x.%x @0x%x <- 0x%x"
 * emitted by hw/pci/pci_host.c pci_host_config_write_common for every config write that reaches a
 * device (ECAM included, so the host's own qtest writes show too). The log backend prefixes
 * "PID@SECONDS.MICROS:" when -msg timestamp=on. No width and no kernel function are printed.
 */
import type { PhasedWrite, WritePhase } from './entry.js';

export interface PciCfgWrite {
  /** QEMU's device model name (e.g. nvme, e1000e, pcie-root-port). */
  readonly qemuDevice: string;
  /** bus:slot.fn as QEMU printed it; the bus is the one the bridges above held at that moment. */
  readonly device: string;
  readonly offset: number;
  readonly value: number;
}

const LINE = /^(?:\d+@\d+\.\d+:)?pci_cfg_write (\S+) ([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) @0x([0-9a-f]+) <- 0x([0-9a-f]+)\s*$/i;

/** One trace line, or undefined for any other line (other events, QEMU's own messages). */
export function parsePciCfgWrite(line: string): PciCfgWrite | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  return { qemuDevice: m[1]!, device: m[2]!.toLowerCase(), offset: parseInt(m[3]!, 16), value: parseInt(m[4]!, 16) >>> 0 };
}

/** A traced write placed in its phase: no kernel function, width unknown. */
export const pciCfgWriteRecord = (w: PciCfgWrite, phase: WritePhase): PhasedWrite => ({
  phase, fn: null, device: w.device, space: 'config', offset: w.offset, width: null, value: w.value,
});
