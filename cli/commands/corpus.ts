/** `lusim corpus fetch|list`: real-hardware dumps from Debian's pciutils source package (kexec/pciutils-corpus.ts). */
import type { Command } from 'commander';
import { cacheRoot } from '../../kexec/kernels/kernels.js';
import { cachedCorpus, fetchPciutilsCorpus, type Corpus } from '../../kexec/pciutils-corpus.js';
import { action, printJson } from '../errors.js';
import { log } from '../log.js';

function print(corpus: Corpus | undefined, json: boolean): void {
  if (json) return printJson(corpus ?? null);
  if (!corpus) {
    process.stdout.write(`No corpus cached in ${cacheRoot()}. Run: lusim corpus fetch\n`);
    return;
  }
  process.stdout.write(`pciutils ${corpus.version}: ${corpus.files.length} dumps in ${corpus.dir}\n`);
}

export function register(program: Command): void {
  const cmd = program.command('corpus').description('real-hardware dumps (pciutils tests/ from Debian\'s source package), cached in $XDG_CACHE_HOME/lusim');
  cmd.command('list').description('where the cached corpus is').option('--json', 'print JSON')
    .action(action((opts: { json?: boolean }) => print(cachedCorpus(cacheRoot()), opts.json === true)));
  cmd.command('fetch').description('apt-get source --download-only pciutils through a private deb-src configuration; cached').option('--json', 'print JSON')
    .action(action(async (opts: { json?: boolean }) => {
      const { corpus, cached } = await fetchPciutilsCorpus(cacheRoot(), (m) => log.info(`corpus: ${m}`));
      log.info(`corpus: pciutils ${corpus.version} ${cached ? '(cached)' : '(fetched)'}`);
      print(corpus, opts.json === true);
    }));
}
