/**
 * linux-blob: byte layout of pci_store_saved_state and the exact pci_load_saved_state walk
 * (drivers/pci/pci.c; linux-pci.md sections 1 and 5), including section 5's worked example.
 */
import { describe, expect, it } from 'vitest';
import { SimError } from '../../../sim/errors.js';
import {
  parseLinuxBlob,
  pciLoadAndFreeSavedState,
  pciLoadSavedState,
  pciStoreSavedState,
  rfcSizeFromSer,
  serializeLinuxBlob,
} from '../../../sim/formats/linux-blob.js';
import type { PciSavedDevState, PciSavedState } from '../../../sim/saved-state.js';

// Capability IDs (include/uapi/linux/pci_regs.h) and save-buffer sizes (linux-pci.md 2.2).
const ERR = { capNr: 0x01, extended: true, size: 16 }; // AER on a non-root function
const LTR = { capNr: 0x18, extended: true, size: 4 };
const L1SS = { capNr: 0x1e, extended: true, size: 8 };
const EXP = { capNr: 0x10, extended: false, size: 14 }; // PCI_EXP_SAVE_REGS * sizeof(u16)
type Cap = typeof ERR;

/** A pci_dev whose saved_cap_space holds `caps` in hlist order, data filled with a per-cap tag. */
function device(caps: Cap[], tag = 0): PciSavedDevState {
  const cfg = new Uint32Array(16);
  cfg.forEach((_, i) => (cfg[i] = (0x10000 * (tag + 1) + i) >>> 0));
  return {
    savedConfigSpace: cfg,
    stateSaved: true,
    savedCapSpace: caps.map((c) => ({
      capNr: c.capNr,
      extended: c.extended,
      data: Uint8Array.from({ length: c.size }, (_, i) => (tag * 0x40 + c.capNr + i) & 0xff),
    })),
  };
}

/** A device as a fresh kernel has it before any save: buffers kzalloc'd, state_saved false. */
function freshDevice(caps: Cap[]): PciSavedDevState {
  return {
    savedConfigSpace: new Uint32Array(16),
    stateSaved: false,
    savedCapSpace: caps.map((c) => ({ capNr: c.capNr, extended: c.extended, data: new Uint8Array(c.size) })),
  };
}

// List orders from linux-pci.md 2.3 (hlist_add_head: reverse allocation order).
const V6_1 = [ERR, L1SS, LTR, EXP];
const V6_12 = [ERR, LTR, EXP, L1SS];
const V6_1_Y = [ERR, LTR, EXP];

function headerAt(blob: Uint8Array, at: number) {
  const v = new DataView(blob.buffer, blob.byteOffset);
  return { capNr: v.getUint16(at, true), ext: blob[at + 2], pad: blob[at + 3], size: v.getUint32(at + 4, true) };
}

function storeBlob(caps: Cap[], tag = 0): Uint8Array {
  const state = pciStoreSavedState(device(caps, tag));
  if (!state) throw new Error('state_saved was set');
  return serializeLinuxBlob(state);
}

describe('pci_store_saved_state layout (linux-pci.md section 5 worked example)', () => {
  it('v6.1: ERR@64, L1SS@88, LTR@104, EXP@116, terminator@138, 146 bytes', () => {
    const blob = storeBlob(V6_1);
    expect(blob.length).toBe(146);
    expect(headerAt(blob, 64)).toEqual({ capNr: 0x01, ext: 1, pad: 0, size: 16 });
    expect(headerAt(blob, 88)).toEqual({ capNr: 0x1e, ext: 1, pad: 0, size: 8 });
    expect(headerAt(blob, 104)).toEqual({ capNr: 0x18, ext: 1, pad: 0, size: 4 });
    expect(headerAt(blob, 116)).toEqual({ capNr: 0x10, ext: 0, pad: 0, size: 14 });
    expect([...blob.subarray(138)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('v6.12: ERR@64, LTR@88, EXP@100, L1SS@122 (unaligned after EXP), terminator@138, 146 bytes', () => {
    const blob = storeBlob(V6_12);
    expect(blob.length).toBe(146);
    expect(headerAt(blob, 64).capNr).toBe(0x01);
    expect(headerAt(blob, 88).capNr).toBe(0x18);
    expect(headerAt(blob, 100)).toEqual({ capNr: 0x10, ext: 0, pad: 0, size: 14 });
    expect(headerAt(blob, 122)).toEqual({ capNr: 0x1e, ext: 1, pad: 0, size: 8 });
    expect([...blob.subarray(138)]).toEqual(new Array(8).fill(0));
  });

  it('6.1.y after the L1SS revert: no L1SS entry, 130 bytes', () => {
    const blob = storeBlob(V6_1_Y);
    expect(blob.length).toBe(130);
    expect(headerAt(blob, 100).capNr).toBe(0x10);
    expect([...blob.subarray(122)]).toEqual(new Array(8).fill(0));
  });

  it('golden bytes: config dwords little-endian, data copied verbatim', () => {
    const blob = storeBlob([LTR]);
    const hex = Buffer.from(blob).toString('hex');
    expect(hex.slice(0, 16)).toBe('0000010001000100'); // dwords 0x00010000, 0x00010001
    expect(hex.slice(128)).toBe('18000100' + '04000000' + '18191a1b' + '0000000000000000');
  });

  it('pci_store_saved_state returns NULL unless state_saved, and copies the buffers', () => {
    const dev = device(V6_12);
    dev.stateSaved = false;
    expect(pciStoreSavedState(dev)).toBeNull();
    dev.stateSaved = true;
    const state = pciStoreSavedState(dev)!;
    dev.savedCapSpace[0].data[0] ^= 0xff;
    expect(state.caps[0].data[0]).not.toBe(dev.savedCapSpace[0].data[0]);
  });

  it('parse inverts serialize', () => {
    const state = pciStoreSavedState(device(V6_1, 3))!;
    expect(parseLinuxBlob(serializeLinuxBlob(state))).toEqual(state);
  });
});

describe('pci_load_saved_state cross-loads (linux-pci.md section 5)', () => {
  it('6.12 blob into a 6.1.y device (no L1SS buffer): -EINVAL after config and earlier caps copied', () => {
    const blob = parseLinuxBlob(storeBlob(V6_12, 1));
    const dev = freshDevice(V6_1_Y);
    const r = pciLoadSavedState(dev, blob);
    expect(r.ret).toBe(-22);
    expect(r.stateSaved).toBe(false);
    expect(dev.stateSaved).toBe(false);
    expect(r.configCopied).toBe(true);
    expect([...dev.savedConfigSpace]).toEqual([...blob.configSpace]);
    expect(r.copied.map((c) => c.capNr)).toEqual([0x01, 0x18, 0x10]);
    expect(r.failed).toMatchObject({ capNr: 0x1e, extended: true, reason: 'missing-buffer', index: 3 });
    expect(dev.savedCapSpace.map((c) => [...c.data])).toEqual(blob.caps.slice(0, 3).map((c) => [...c.data]));
    expect(r.error).toBeInstanceOf(SimError);
    expect(r.error?.code).toBe('load-einval');
  });

  it('6.1.y blob into a 6.12 device: success, L1SS keeps stale contents', () => {
    const dev = device(V6_12, 2); // last local pci_save_state left tag-2 data in every buffer
    const staleL1ss = [...dev.savedCapSpace[3].data];
    const r = pciLoadSavedState(dev, parseLinuxBlob(storeBlob(V6_1_Y, 1)));
    expect(r.ret).toBe(0);
    expect(dev.stateSaved).toBe(true);
    expect(r.stale).toEqual([{ capNr: 0x1e, extended: true, deviceIndex: 3, why: 'absent-from-blob' }]);
    expect([...dev.savedCapSpace[3].data]).toEqual(staleL1ss);
  });

  it('v6.1 blob into 6.1.y: -EINVAL at L1SS; LTR and EXP never reached and left stale', () => {
    const dev = freshDevice(V6_1_Y);
    const r = pciLoadSavedState(dev, parseLinuxBlob(storeBlob(V6_1, 1)));
    expect(r.ret).toBe(-22);
    expect(r.copied.map((c) => c.capNr)).toEqual([0x01]);
    expect(r.notReached.map((c) => c.capNr)).toEqual([0x18, 0x10]);
    expect(r.stale.map((s) => [s.capNr, s.why])).toEqual([[0x18, 'load-aborted'], [0x10, 'load-aborted']]);
    expect([...dev.savedCapSpace[1].data]).toEqual([0, 0, 0, 0]);
  });

  it('v7.1 blob with a TPH entry into a 6.12 device: -EINVAL before anything but config is copied', () => {
    const TPH = { capNr: 0x17, extended: true, size: 4 }; // pci_tph_init, v6.13+: 4 + 2*0 ST entries
    const r = pciLoadSavedState(freshDevice(V6_12), parseLinuxBlob(storeBlob([TPH, ...V6_12])));
    expect(r).toMatchObject({ ret: -22, configCopied: true, copied: [], failed: { capNr: 0x17, reason: 'missing-buffer' } });
  });

  it('blob order is irrelevant: v6.1 blob into a 6.12 device succeeds', () => {
    const dev = freshDevice(V6_12);
    const state = parseLinuxBlob(storeBlob(V6_1, 1));
    expect(pciLoadSavedState(dev, state).ret).toBe(0);
    for (const cap of state.caps) {
      const buf = dev.savedCapSpace.find((b) => b.capNr === cap.capNr && b.extended === cap.extended)!;
      expect([...buf.data]).toEqual([...cap.data]);
    }
  });

  it('size mismatch (AER 20 bytes on a Root Port vs 16 on an endpoint) is -EINVAL', () => {
    const dev = freshDevice([{ ...ERR, size: 20 }, EXP]);
    const r = pciLoadSavedState(dev, parseLinuxBlob(storeBlob([ERR, EXP])));
    expect(r.failed).toMatchObject({ capNr: 0x01, reason: 'size-mismatch', blobSize: 16, deviceSize: 20 });
    expect(r.copied).toEqual([]);
  });

  it('NULL state: state_saved cleared, nothing copied, returns 0', () => {
    const dev = device(V6_12);
    const r = pciLoadSavedState(dev, null);
    expect(r).toMatchObject({ ret: 0, stateSaved: false, configCopied: false });
    expect(dev.stateSaved).toBe(false);
  });

  it('duplicate IDs: the first device buffer takes every entry, the second stays stale', () => {
    const dev = freshDevice([EXP, EXP]);
    const blob = parseLinuxBlob(serializeLinuxBlob(pciStoreSavedState(device([EXP, EXP]))!));
    blob.caps[1].data[0] = 0xee;
    const r = pciLoadSavedState(dev, blob);
    expect(r.copied.map((c) => c.deviceIndex)).toEqual([0, 0]);
    expect(dev.savedCapSpace[0].data[0]).toBe(0xee);
    expect(r.stale).toEqual([{ capNr: 0x10, extended: false, deviceIndex: 1, why: 'shadowed-duplicate' }]);
  });

  it('a zero-sized entry ends the walk (while (cap->size))', () => {
    const state: PciSavedState = {
      configSpace: new Uint32Array(16),
      caps: [{ capNr: 0x02, extended: true, data: new Uint8Array(0) }, { capNr: 0x10, extended: false, data: new Uint8Array(14) }],
    };
    const r = pciLoadSavedState(freshDevice([]), state);
    expect(r).toMatchObject({ ret: 0, stateSaved: true });
    expect(r.notReached.length).toBe(2);
    expect(() => serializeLinuxBlob(state)).toThrow(SimError);
  });

  it('pci_load_and_free_saved_state frees the state whatever the result', () => {
    const holder = { state: parseLinuxBlob(storeBlob(V6_12)) as PciSavedState | null };
    expect(pciLoadAndFreeSavedState(freshDevice(V6_1_Y), holder).ret).toBe(-22);
    expect(holder.state).toBeNull();
    const ok = { state: parseLinuxBlob(storeBlob(V6_1_Y)) as PciSavedState | null };
    expect(pciLoadAndFreeSavedState(freshDevice(V6_1_Y), ok).ret).toBe(0);
    expect(ok.state).toBeNull();
  });
});

describe('parseLinuxBlob rejects malformed input with typed errors', () => {
  const good = storeBlob(V6_12);
  const code = (bytes: Uint8Array) => {
    try {
      parseLinuxBlob(bytes);
      return 'parsed';
    } catch (e) {
      return e instanceof SimError ? e.code : 'untyped';
    }
  };
  it('missing terminator / entry overrunning the buffer', () => {
    expect(code(good.subarray(0, 138))).toBe('blob-truncated');
    expect(code(good.subarray(0, 130))).toBe('blob-truncated');
    expect(code(good.subarray(0, 10))).toBe('blob-truncated');
  });
  it('trailing garbage and absurd sizes', () => {
    expect(code(Uint8Array.of(...good, 0))).toBe('blob-oversized');
    const absurd = good.slice();
    new DataView(absurd.buffer).setUint32(68, 0x10000, true);
    expect(code(absurd)).toBe('blob-oversized');
  });
  it('non-bool cap_extended, non-zero pad, dirty terminator, wide standard ID', () => {
    const at = (off: number, v: number) => {
      const b = good.slice();
      b[off] = v;
      return b;
    };
    expect(code(at(66, 2))).toBe('blob-corrupt');
    expect(code(at(67, 1))).toBe('blob-corrupt');
    expect(code(at(139, 1))).toBe('blob-corrupt');
    expect(code(at(101, 1))).toBe('blob-corrupt'); // EXP cap_nr 0x0110, not extended
  });
});

describe("the RFC's packed _ser layout (RFC 16/21 vfio_pci_liveupdate.c)", () => {
  const state = pciStoreSavedState(device(V6_12))!;
  it('7-byte entry headers, round trip', () => {
    const ser = serializeLinuxBlob(state, 'rfc-packed');
    expect(ser.length).toBe(64 + 4 * 7 + 16 + 4 + 14 + 8 + 7);
    expect(parseLinuxBlob(ser, 'rfc-packed')).toEqual(state);
  });
  it('pci_saved_state_size_from_ser desynchronizes with more than one capability', () => {
    const walk = rfcSizeFromSer(serializeLinuxBlob(state, 'rfc-packed'));
    expect(walk.needed).toBe(146);
    expect(walk.computed).not.toBe(146);
  });
  it('with a single capability the off-by-one lands in the zero terminator and sizes match', () => {
    const one = pciStoreSavedState(device([EXP]))!;
    expect(rfcSizeFromSer(serializeLinuxBlob(one, 'rfc-packed'))).toEqual({ computed: 94, needed: 94, overran: false });
  });
  it('a kernel-layout parse of a _ser blob fails with a typed error', () => {
    expect(() => parseLinuxBlob(serializeLinuxBlob(state, 'rfc-packed'))).toThrow(SimError);
  });
});
