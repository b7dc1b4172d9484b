/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The suite's HTML report (`lusim suite run --html`) in a real browser: Debian's chromium, headless,
 * driven by playwright-core (executablePath /usr/bin/chromium; scripts/setup-system.sh installs
 * it). The test opens the page from disk and checks what the browser renders: a row per test, a
 * 64 x 64 grid of 9 px cells per function, the corrupted bytes of a drifted e1000e in the
 * corrupted colour with their registers in the title, no request leaving the file. Then it
 * compares a screenshot of that config-space map with fixtures/suites/html/e1000e-swap-map.png
 * within a tolerance (less than one byte's cell), and shows the comparison tells another device's
 * map apart.
 * LUSIM_UPDATE_SCREENSHOTS=1 rewrites the reference (review the PNG before committing it).
 *
 * Needs /usr/bin/chromium; skips without it, except under CI, where that is a failure.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLusim } from './in-process.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI;
const why = skip ? ' (SKIPPED: no /usr/bin/chromium; run scripts/setup-system.sh)' : '';
const REFERENCE = 'fixtures/suites/html/e1000e-swap-map.png';
// Flags headless Chromium needs on these machines (closed network, root): ../.library/env/machines/node.md.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const SUITE = `name: html
kernels: ["6.12"]
cases:
  - name: nvme resets
    device: nvme
    expect: {reset_method: [flr, bus]}
  - name: nvme 6.12 -> 7.1
    device: nvme
    cycle: {from: "6.12", to: "7.1"}
    expect: {load: ok, corrupted: 0}
  - name: e1000e with a swapped EXP layout
    device: e1000e
    cycle: {from: "6.12", to: "7.1", drift: "pcie:swap(DEVCTL,LNKCTL)"}
    expect: {corrupted: 0}
`;

/** Pixels whose channels differ by more than 32 of 255, counted in a canvas of the same browser. */
async function pixelDiff(page: Page, a: Buffer, b: Buffer): Promise<{ size: string; other: string; differing: number; total: number }> {
  return page.evaluate(async ([x, y]) => {
    const load = async (s: string) => { const img = new Image(); img.src = `data:image/png;base64,${s}`; await img.decode(); return img; };
    const pixels = (img: HTMLImageElement) => {
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      return g.getImageData(0, 0, img.width, img.height).data;
    };
    const [ia, ib] = [await load(x), await load(y)];
    const [pa, pb] = [pixels(ia), pixels(ib)];
    let differing = 0;
    const total = ia.width * ia.height;
    if (ia.width === ib.width && ia.height === ib.height) {
      for (let i = 0; i < pa.length; i += 4) if ([0, 1, 2].some((k) => Math.abs(pa[i + k]! - pb[i + k]!) > 32)) differing++;
    } else differing = total;
    return { size: `${ia.width}x${ia.height}`, other: `${ib.width}x${ib.height}`, differing, total };
  }, [a.toString('base64'), b.toString('base64')] as const);
}

describe.skipIf(skip)(`the HTML report in headless Chromium${why}`, () => {
  let ctx: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-html-'));
    writeFileSync(join(dir, 'html.yaml'), SUITE);
    const r = await runLusim(['suite', 'run', join(dir, 'html.yaml'), '--html', join(dir, 'report.html')]);
    expect(r.code, r.stderr).toBe(1);
    ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'lusim-chromium-')), {
      executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1,
    });
    page = await ctx.newPage();
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(`file://${join(dir, 'report.html')}`);
  }, 60_000);
  afterAll(async () => { await ctx?.close(); });

  it('renders a row per test, with the failure and its reason', async () => {
    expect(await page.locator('tr.test').count()).toBe(3);
    expect(await page.locator('tr.test td.fail').allTextContents()).toEqual(['fail']);
    expect(await page.locator('#totals').textContent()).toBe('3 tests: 2 passed, 1 failed, 0 errors (model)');
    expect(await page.locator('tr.test[data-status=fail] td').nth(3).textContent()).toMatch(/^corrupted: expected 0, got 6: PCI_EXP_DEVCTL/);
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
  });

  it('lays out every config-space map as 64 x 64 cells of 9 px, device and upstream port per cycle', async () => {
    const maps = page.locator('section.cycle .map');
    expect(await maps.count()).toBe(4);
    expect(await page.locator('section.cycle .map span').count()).toBe(4 * 4096);
    const grid = await maps.first().evaluate((m) => {
      const boxes = [...m.querySelectorAll('span')].map((s) => s.getBoundingClientRect());
      return { xs: new Set(boxes.map((b) => b.x)).size, ys: new Set(boxes.map((b) => b.y)).size, sized: boxes.every((b) => b.width === 9 && b.height === 9), width: m.getBoundingClientRect().width };
    });
    expect(grid).toEqual({ xs: 64, ys: 64, sized: true, width: 64 * 9 + 63 });
    expect(await page.locator('section.cycle tr.write').count()).toBeGreaterThan(0);
  });

  it('colours the drifted e1000e\'s corrupted bytes and names their registers', async () => {
    const dev = page.locator('section.cycle').nth(1).locator('.map[data-function=dev]');
    const bad = dev.locator('span.v-corrupted');
    expect(await bad.count()).toBe(2);
    expect(await bad.evaluateAll((s) => s.map((x) => getComputedStyle(x).backgroundColor))).toEqual(['rgb(215, 38, 61)', 'rgb(215, 38, 61)']);
    const titles = await bad.evaluateAll((s) => s.map((x) => x.getAttribute('title')!.split('\n')[1]));
    expect(titles[0]).toMatch(/^PCI_EXP_DEVCTL\.PCI_EXP_DEVCTL_\w+ \[\d+(:\d+)?\] corrupted: .*pci_restore_pcie_state/);
    expect(titles[1]).toMatch(/^PCI_EXP_LNKCTL\.PCI_EXP_LNKCTL_\w+ \[\d+(:\d+)?\] corrupted: /);
  });

  it('looks like the reference screenshot of that map, and the comparison tells another map apart', async () => {
    const shot = await page.locator('section.cycle').nth(1).locator('.map[data-function=dev]').screenshot();
    if (process.env.LUSIM_UPDATE_SCREENSHOTS === '1') writeFileSync(REFERENCE, shot);
    const same = await pixelDiff(page, shot, readFileSync(REFERENCE));
    expect(same.size).toMatch(/^639x\d+$/);
    expect(same.other).toBe(same.size);
    // Tolerance: fewer pixels than one byte's 9 x 9 cell (anti-aliasing of outlines across
    // Chromium builds may move a few); a byte coloured by another verdict is 81 pixels.
    expect(same.differing, `${same.differing} of ${same.total} pixels differ`).toBeLessThan(81);
    const nvme = await page.locator('section.cycle').nth(0).locator('.map[data-function=dev]').screenshot();
    const other = await pixelDiff(page, nvme, readFileSync(REFERENCE));
    expect(other.differing).toBeGreaterThanOrEqual(81);
  }, 30_000);
});
