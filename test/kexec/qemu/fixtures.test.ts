/** fixtures/qemu/ is what scripts/gen-fixtures.ts produces today, and lspci reads it. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLspci } from '../../../devices/dump/lspci.js';

const DIR = 'fixtures/qemu';
const names = readdirSync(DIR).filter((f) => f.endsWith('.lspci')).map((f) => f.replace(/\.lspci$/, ''));

describe('QEMU fixtures', () => {
  it('cover every device the fixture issue lists', () => {
    expect(names.sort()).toEqual(['e1000e', 'e1000e-rciep', 'ioh3420', 'nvme', 'pcie-root-port', 'qemu-xhci', 'virtio-net', 'virtio-net-aer', 'x3130-upstream', 'xio3130-downstream']);
  });

  it.each(names)('%s: 4 KiB that lspci -F decodes, with the IDs and address of its JSON', (name) => {
    const meta = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as { qemu: string; bdf: string; vendor: number; device: number };
    expect(meta.qemu).toMatch(/^7\.2\./);
    const [dev] = parseLspci(readFileSync(join(DIR, `${name}.lspci`), 'utf8'));
    expect(dev.bytes.length).toBe(4096);
    expect(dev.bytes[0] | (dev.bytes[1] << 8)).toBe(meta.vendor);
    expect(dev.bytes[2] | (dev.bytes[3] << 8)).toBe(meta.device);
    const decoded = execFileSync('lspci', ['-F', join(DIR, `${name}.lspci`), '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(decoded).toContain(`${meta.bdf} `);
    expect(decoded).toContain(`${meta.vendor.toString(16).padStart(4, '0')}:${meta.device.toString(16).padStart(4, '0')}`);
  });

  it('regenerate byte for byte from the installed QEMU', () => {
    const out = mkdtempSync(join(tmpdir(), 'lusim-fixtures-'));
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/gen-fixtures.ts', out], { stdio: ['ignore', 'ignore', 'pipe'] });
      for (const n of names) {
        expect(readFileSync(join(out, `${n}.lspci`), 'utf8'), n).toBe(readFileSync(join(DIR, `${n}.lspci`), 'utf8'));
        expect(readFileSync(join(out, `${n}.json`), 'utf8'), n).toBe(readFileSync(join(DIR, `${n}.json`), 'utf8'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
