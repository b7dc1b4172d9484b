/**
 * The real-blob helpers of the kernel-saver cycle (sim/cycle/real-blob.ts), on the model's own blobs
 * of the QEMU fixtures: entry lists, the drift re-encoding, byte naming, and what a refused
 * pci_load_saved_state copied (drivers/pci/pci.c pci_load_saved_state: config_space first, then
 * entries in blob order until the first without a same-sized buffer).
 */
import { describe, expect, it } from 'vitest';
import { serializeSaved } from '../../../sim/cycle/carry.js';
import { modelUnderTest } from '../../../sim/cycle/model-access.js';
import { blobEntries, compareBlobs, driftBlob, kernelLoadReport } from '../../../sim/cycle/real-blob.js';
import { allocateSaveBuffers } from '../../../sim/linux/alloc.js';
import { newPciDev } from '../../../sim/linux/dev.js';
import { parseDrift } from '../../../sim/linux/drift.js';
import { pciSetupDevice } from '../../../sim/linux/find-cap.js';
import { kernelProfile } from '../../../sim/linux/profiles.js';
import { pciSaveState } from '../../../sim/linux/save.js';
import { PCI_COMMAND } from '../../../devices/pci-regs.js';
import { fixture } from './helpers.js';

const A = kernelProfile('6.12');

async function modelBlob(name: string) {
  const fn = fixture(name, 'auto')();
  const dev = newPciDev(modelUnderTest(fn).access);
  await pciSetupDevice(dev);
  await allocateSaveBuffers(A, dev);
  await pciSaveState(A, dev);
  return { fn, blob: serializeSaved('linux-blob', fn, A, dev.saved).bytes! };
}

const EXP = { capNr: 0x10, extended: false, size: 14 };
const AER = { capNr: 0x01, extended: true, size: 16 };

describe('real-blob helpers', () => {
  it('lists entries in blob order: nvme one EXP entry (94 bytes), e1000e AER then EXP (118), as the real kernels store them', async () => {
    const nvme = await modelBlob('nvme');
    expect(nvme.blob.length).toBe(94);
    expect(blobEntries(nvme.blob)).toEqual([EXP]);
    const e1000e = await modelBlob('e1000e');
    expect(e1000e.blob.length).toBe(118);
    expect(blobEntries(e1000e.blob)).toEqual([AER, EXP]);
  });

  it('pcie:+reg grows the EXP entry by one zero u16; pcie:swap(DEVCTL,LNKCTL) swaps the two slots; other entries keep their bytes', async () => {
    const { blob } = await modelBlob('e1000e');
    const grown = driftBlob(blob, A, parseDrift('pcie:+reg'));
    expect(blobEntries(grown)).toEqual([AER, { ...EXP, size: 16 }]);
    expect(grown.length).toBe(blob.length + 2);
    // config_space, the AER entry and the EXP header + 14 data bytes are where they were.
    const expData = 64 + 8 + 16 + 8;
    expect(grown.subarray(0, expData)).toEqual(blob.subarray(0, expData).map((b, i) => (i === 64 + 8 + 16 + 4 ? 16 : b)));
    expect(grown.subarray(expData, expData + 14)).toEqual(blob.subarray(expData, expData + 14));
    expect([...grown.subarray(expData + 14, expData + 16)]).toEqual([0, 0]);

    const swapped = driftBlob(blob, A, parseDrift('pcie:swap(DEVCTL,LNKCTL)'));
    expect(swapped.length).toBe(blob.length);
    expect(swapped.subarray(expData, expData + 2)).toEqual(blob.subarray(expData + 2, expData + 4));
    expect(swapped.subarray(expData + 2, expData + 4)).toEqual(blob.subarray(expData, expData + 2));

    // LNKCTL as a dword: DEVCTL, then LNKCTL and two zero bytes (LNKSTA was never in the blob), then the rest two bytes on.
    const widened = driftBlob(blob, A, parseDrift('pcie:widen(LNKCTL)'));
    expect(blobEntries(widened)).toEqual([AER, { ...EXP, size: 16 }]);
    expect(widened.subarray(expData, expData + 4)).toEqual(blob.subarray(expData, expData + 4));
    expect([...widened.subarray(expData + 4, expData + 6)]).toEqual([0, 0]);
    expect(widened.subarray(expData + 6, expData + 16)).toEqual(blob.subarray(expData + 4, expData + 14));
  });

  it('names a differing byte by register and says whether the device showed the real value', async () => {
    const { fn, blob } = await modelBlob('nvme');
    const captured = fn.space.snapshot();
    const real = blob.slice();
    real[PCI_COMMAND] = real[PCI_COMMAND]! ^ 0x04;
    expect(compareBlobs(real, blob, fn, captured, A)).toEqual([{ offset: PCI_COMMAND, where: 'config_space', register: 'PCI_COMMAND', real: real[PCI_COMMAND], model: blob[PCI_COMMAND], why: 'model-state' }]);
    // The device shows the real value: the model stored another one.
    const shown = captured.slice();
    shown[PCI_COMMAND] = real[PCI_COMMAND]!;
    expect(compareBlobs(real, blob, fn, shown, A)[0]!.why).toBe('model-disagrees');
    const exp = blob.slice();
    exp[64 + 8] = exp[64 + 8]! ^ 0x10;
    expect(compareBlobs(exp, blob, fn, captured, A)[0]).toMatchObject({ where: 'std cap 0x10', register: 'PCI_EXP_DEVCTL' });
  });

  it('reports what pci_load_saved_state copied before the entry it refused', async () => {
    const { blob } = await modelBlob('e1000e');
    expect(kernelLoadReport(0, blob, [EXP, AER])).toEqual({ ret: 0, copied: ['config_space (64 bytes)', 'ext cap 0x01 (16 bytes)', 'std cap 0x10 (14 bytes)'] });
    expect(kernelLoadReport(-22, blob, [{ ...EXP, size: 16 }, AER])).toEqual({ ret: -22, copied: ['config_space (64 bytes)', 'ext cap 0x01 (16 bytes)'], refusedAt: "std cap 0x10: size 14 in the blob vs 16 in kernel B's buffer" });
    expect(kernelLoadReport(-22, blob, [EXP]).refusedAt).toBe('ext cap 0x01: kernel B has no buffer for it');
  });
});
