/**
 * A public corpus of real-hardware dumps: pciutils' own tests/ directory, from Debian's pciutils
 * source package (bookworm 3.9.0: 35 `lspci -vvvxxxx`-style files of real machines, a few of
 * emulated ones). Fetched with `apt-get source --download-only` through a private apt
 * configuration with a deb-src line (the system's sources have none), unpacked with tar (only
 * tests/), cached under `<cache>/corpus/pciutils-<version>/tests`. The dumps are never committed.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LusimError } from '../devices/errors.js';
import { aptUpdate, downloadSource, lastLines, privateApt, run } from './kernels/apt.js';

export class CorpusError extends LusimError<'corpus-missing' | 'corpus-unpack'> {}

export interface Corpus {
  /** Directory holding the dump files. */
  readonly dir: string;
  /** Upstream version of the pciutils source package. */
  readonly version: string;
  readonly files: readonly string[];
}

function corpusRoot(root: string): string {
  return join(root, 'corpus');
}

/** The cached corpus, if one was fetched (the newest version when several are cached). */
export function cachedCorpus(root: string): Corpus | undefined {
  const base = corpusRoot(root);
  if (!existsSync(base)) return undefined;
  const done = readdirSync(base).filter((d) => d.startsWith('pciutils-') && existsSync(join(base, d, '.complete'))).sort();
  const last = done.at(-1);
  if (!last) return undefined;
  const dir = join(base, last, 'tests');
  return { dir, version: last.slice('pciutils-'.length), files: readdirSync(dir).filter((f) => !f.startsWith('.')).sort() };
}

/** Fetch (or reuse) the corpus: apt-get source pciutils through the private bookworm-src apt. */
export async function fetchPciutilsCorpus(root: string, progress: (m: string) => void = () => {}): Promise<{ corpus: Corpus; cached: boolean }> {
  const have = cachedCorpus(root);
  if (have) return { corpus: have, cached: true };
  const ctx = privateApt(root, 'bookworm-src');
  progress('apt-get update (private bookworm deb-src configuration)');
  await aptUpdate(ctx);
  const dl = join(corpusRoot(root), 'download');
  rmSync(dl, { recursive: true, force: true });
  mkdirSync(dl, { recursive: true });
  progress('apt-get source --download-only pciutils');
  await downloadSource(ctx, 'pciutils', dl);
  const orig = readdirSync(dl).find((f) => /^pciutils_[^_]+\.orig\.tar\.(gz|xz)$/.test(f));
  if (!orig) throw new CorpusError('corpus-unpack', `apt-get source pciutils gave no .orig tarball in ${dl}; remove the directory and retry`, { dir: dl });
  const version = orig.slice('pciutils_'.length).replace(/\.orig\.tar\.(gz|xz)$/, '');
  const into = join(corpusRoot(root), `pciutils-${version}`);
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  const res = await run('tar', ['-xf', join(dl, orig), '-C', into, '--strip-components=1', '--wildcards', '*/tests/*']);
  if (res.code !== 0) throw new CorpusError('corpus-unpack', `tar could not unpack tests/ from ${orig}: ${lastLines(res.stderr, 3)}`, { file: orig });
  writeFileSync(join(into, '.complete'), `${orig}\n`);
  rmSync(dl, { recursive: true, force: true });
  return { corpus: cachedCorpus(root)!, cached: false };
}
