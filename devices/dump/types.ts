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
}

export type DumpFormat = 'lspci' | 'raw' | 'json';
