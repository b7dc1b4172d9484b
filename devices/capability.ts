/**
 * The contract of one capability file (devices/caps/*.ts). Adding a capability costs one file plus
 * one registry line (devices/caps/index.ts).
 *
 * A capability's size and register set can depend on its own read-only bytes (MSI 64-bit and
 * per-vector masking, PCIe port type and version, AER on a Root Port), so both are functions of a
 * CapReader over the dump's bytes. Offsets in the returned tables are relative to the capability.
 */
import type { RegisterDef } from './registers.js';

/** Read-only view of the bytes around a capability, for layout decisions. */
export interface CapReader {
  /** Absolute offset of the capability in config space. */
  readonly offset: number;
  /** Bytes available (256 or 4096, or less for a short dump). */
  readonly size: number;
  /** Relative reads (offset from the capability start); out of range reads 0xff.. as hardware would. */
  readb(rel: number): number;
  readw(rel: number): number;
  readl(rel: number): number;
  /** PCIe Device/Port Type (PCI_EXP_FLAGS_TYPE) if the function has a PCIe capability. */
  readonly pcieType: number | undefined;
  /** PCI_EXP_DEVCAP2 of a version >= 2 PCIe capability (layout choices such as the AER TLP Prefix Log). */
  readonly pcieDevcap2: number | undefined;
  /** PCI_EXP_LNKCAP of the PCIe capability (Maximum Link Width sizes per-lane structures). */
  readonly pcieLnkcap?: number;
  /** Header type (0 endpoint, 1 bridge, 2 CardBus), low 7 bits of PCI_HEADER_TYPE. */
  readonly headerType: number;
}

export interface CapabilityDef {
  /** Capability ID (PCI_CAP_ID_* or PCI_EXT_CAP_ID_*). */
  readonly id: number;
  readonly extended: boolean;
  /** Short key used on the command line and in --json: "pm", "msi", "pcie", "aer". */
  readonly key: string;
  /** Linux macro name of the ID, e.g. PCI_CAP_ID_EXP, PCI_EXT_CAP_ID_ERR. */
  readonly linuxId: string;
  /** Human name as lspci prints it. */
  readonly name: string;
  /** Spec section the layout comes from. */
  readonly spec: string;
  /** Capability version from its own bytes (PM PMC[2:0], PCIe FLAGS[3:0], ext header [19:16]). */
  version(r: CapReader): number;
  /** Size in bytes occupied by the capability structure. */
  size(r: CapReader): number;
  /** Registers relative to the capability start (header included). */
  registers(r: CapReader): RegisterDef[];
}
