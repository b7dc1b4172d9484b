/**
 * The compiler enforces the layering (devices <- sim <- kexec <- cli: one tsconfig per layer,
 * devices/ and sim/ without Node types) and strict types; tsx, which runs lusim, does not check
 * types, so this suite is what makes `npm test` fail on a type error or a layering violation.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('typecheck', () => {
  it('tsc -b passes for every layer', () => {
    const r = spawnSync('npx', ['tsc', '-b'], { encoding: 'utf8' });
    expect(r.stdout + r.stderr.split('\n').filter((l) => !l.includes('npm warn')).join('\n')).toBe('');
    expect(r.status).toBe(0);
  }, 180_000);

  it('devices/ cannot use Node APIs (its tsconfig has no Node types)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lusim-layer-'));
    try {
      writeFileSync(join(dir, 'probe.ts'), "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        extends: resolve('devices/tsconfig.json'),
        compilerOptions: { rootDir: dir, composite: false, noEmit: true, emitDeclarationOnly: false, declaration: false },
        include: [join(dir, 'probe.ts')],
      }));
      const r = spawnSync('npx', ['tsc', '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toMatch(/Cannot find module 'node:fs'|TS2307/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
