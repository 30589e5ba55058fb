/**
 * `npm run bench -- NAME [options]`: runs one benchmark module `bench/NAME.ts`, which exports
 * `run(args: string[]): Promise<void>` and publishes its own table and JSON via `publish()`.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.js') && !['run.js', 'report.js'].includes(f) && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h') {
  process.stdout.write(
    `usage: npm run bench -- NAME [options]\n\nbenchmarks: ${available.join(', ')}\n` +
      'Each prints a table and writes JSON under bench/results/. Pass --help after NAME for its options.\n',
  );
  process.exit(name === undefined ? 1 : 0);
}
if (!available.includes(name)) {
  process.stderr.write(`unknown benchmark "${name}"; available: ${available.join(', ')}\n`);
  process.exit(2);
}
const module = (await import(pathToFileURL(`${here}/${name}.js`).href)) as {
  run(args: string[]): Promise<void>;
};
await module.run(rest);
