/** `npm run bench`: run every benchmark in bench/ in turn (each prints its own figures). */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const only = process.argv.slice(2);
for (const file of readdirSync('bench').filter((f) => f.endsWith('.ts') && f !== 'run.ts').sort()) {
  if (only.length > 0 && !only.some((o) => file.includes(o))) continue;
  console.log(`\n== bench/${file}`);
  const res = spawnSync('npx', ['tsx', `bench/${file}`], { stdio: 'inherit' });
  if (res.status !== 0) console.log(`bench/${file} failed (exit ${res.status})`);
}
