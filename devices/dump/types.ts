/** A function's configuration bytes as read from a dump, before any modelling. */
import type { Bdf } from './bdf.js';

export interface DumpDevice {
  readonly bdf: Bdf;
  /** The text after the address on an lspci header line ("Ethernet controller: ..."), if any. */
  readonly description?: string;
  /**
   * The bytes the dump holds, from offset 0. Its length is what was captured (64, 256 or 4096 for
   * lspci -x/-xxx/-xxxx); bytes inside that length the dump did not give are 0xff, as in pciutils
   * lib/dump.c dump_alloc_data.
   */
  readonly bytes: Uint8Array;
  /**
   * Per byte of `bytes`: 1 if the dump gave it, 0 if not (a row lost in a paste). Omitted when
   * every byte of `bytes` was captured. Bytes past `bytes.length` were never captured. Read it
   * through capturedMask (known.ts).
   */
  readonly known?: Uint8Array;
  /** Set for a function captured from a live system (`lusim capture`). */
  readonly capture?: CaptureFacts;
}

/**
 * What `lusim capture` read beside the config bytes from a running system's sysfs
 * (/sys/bus/pci/devices/<BDF>/...): the machine's own view of the function.
 */
export interface CaptureFacts {
  /** `uname -r` of the captured system, when known. */
  readonly kernelRelease?: string;
  /**
   * `uname -v` of the captured system, when known: Debian's says the package version ("... Debian
   * 6.1.158-1 ..."), which its release name (6.1.0-N) hides.
   */
  readonly kernelVersion?: string;
  /** Whether the capture ran as root (non-root sysfs reads of config stop at 64 bytes). */
  readonly root: boolean;
  /** The sysfs config file's size: the size Linux gave the function (pci_cfg_space_size). */
  readonly configSize?: number;
  /** sysfs reset_method, split on spaces; [] when the file is absent (Linux found no method). */
  readonly resetMethod?: readonly string[];
  /** The bound driver's name, or null when none is bound. */
  readonly driver?: string | null;
  /** sysfs current_link_speed ("8.0 GT/s PCIe"), absent on conventional functions. */
  readonly currentLinkSpeed?: string;
}

export type DumpFormat = 'lspci' | 'raw' | 'json';
