/**
 * Handover I/O against a hermetic QEMU (guest RAM through qtest, no guest running): the envelope
 * written into the range reads back intact and decodes; a byte changed in guest memory (what a
 * kernel ignoring memmap= would do) is reported with its offset.
 */
import { describe, expect, it } from 'vitest';
import { checkRange } from '../../../kexec/run/handover.js';
import { HandoverIoError, overwrittenError, readHandover, writeHandover } from '../../../kexec/run/handover-io.js';
import { withQemu } from '../../../kexec/qemu/launcher.js';

const RANGE = checkRange({ base: 0x0400_0000, size: 0x1_0000 });
const payload = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);

describe('handover range over qtest', () => {
  it('writes the envelope, reads it back intact, and spots an overwritten byte', async () => {
    await withQemu({ memoryMiB: 256 }, async (q) => {
      const written = await writeHandover(q.qtest, RANGE, [{ bdf: '0000:02:00.0', format: 'lusim-v1', payload }]);
      const back = await readHandover(q.qtest, written);
      expect(back).toMatchObject({ intact: true, differing: 0, length: written.bytes.length });
      expect(back.devices).toEqual([{ bdf: '0000:02:00.0', format: 'lusim-v1', payload }]);

      const at = written.bytes.length - 10;
      await q.qtest.writeb(RANGE.base + at, written.bytes[at]! ^ 0xff);
      const hit = await readHandover(q.qtest, written);
      expect(hit).toMatchObject({ intact: false, differing: 1, firstDifferences: [at], devices: [] });
      expect(overwrittenError(hit, RANGE).code).toBe('overwritten');
    }, 20_000);
  });

  it('refuses an envelope larger than the range', async () => {
    await withQemu({ memoryMiB: 256 }, async (q) => {
      const small = checkRange({ base: 0x0400_0000, size: 0x1000 });
      await expect(writeHandover(q.qtest, small, [{ bdf: '0000:02:00.0', format: 'linux-blob', payload: new Uint8Array(5000) }])).rejects.toBeInstanceOf(HandoverIoError);
    }, 20_000);
  });
});
