/**
 * `npm run bench -- fleet`: fleet operations at provider scale, in-process (library calls).
 * - import: N profiles through `profile.import` in batches of 500 (concurrent adds, group
 *   commits), against the baseline of the same profiles added one `addProfile` at a time;
 * - page: median time of one `profile.list` page of 100 (prefix filter) against the full list;
 * - snapshot: the `storage.snapshot` that `aviary backup` takes, with N profiles stored.
 * Aim: 10,000 profiles imported in well under a minute on the 2-core machine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOperation } from '../src/api/operations.js';
import { createLogger } from '../src/log.js';
import { type Aviary, createRuntime } from '../src/runtime/default-runtime.js';
import { type BenchRow, median, publish } from './report.js';

function parseArgs(args: string[]): { profiles: number; baseline: number; rounds: number } {
  if (args.includes('--help')) {
    process.stdout.write(
      'usage: npm run bench -- fleet [--profiles N (10000)] [--baseline N (1000)] [--rounds N (5)]\n',
    );
    process.exit(0);
  }
  const get = (flag: string, fallback: number) => {
    const at = args.indexOf(flag);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  return {
    profiles: get('--profiles', 10_000),
    baseline: get('--baseline', 1_000),
    rounds: get('--rounds', 5),
  };
}

const row = (name: string) => ({
  name,
  jid: `${name}@example.test`,
  password: `pw-${name}`,
  serverHost: '127.0.0.1',
  tls: 'disabled' as const,
  autoconnect: false,
});

async function freshRuntime(): Promise<Aviary> {
  const runtime = createRuntime({
    api: false,
    autoconnect: false,
    config: { dataDir: mkdtempSync(join(tmpdir(), 'aviary-bench-fleet-')) },
    log: createLogger({ level: 'silent' }),
  });
  await runtime.start();
  return runtime;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

export async function run(args: string[]): Promise<void> {
  const { profiles, baseline, rounds } = parseArgs(args);
  const rows: BenchRow[] = [];

  const sequential = await freshRuntime();
  let start = process.hrtime.bigint();
  for (let i = 0; i < baseline; i++) await sequential.addProfile(row(`s${i}`));
  const sequentialSeconds = seconds(start);
  await sequential.stop();
  const sequentialRate = baseline / sequentialSeconds;
  rows.push({
    case: 'addProfile one at a time (baseline)',
    profiles: baseline,
    seconds: sequentialSeconds,
    'profiles/s': sequentialRate,
  });

  const fleet = await freshRuntime();
  start = process.hrtime.bigint();
  for (let from = 0; from < profiles; from += 500) {
    const batch = Array.from({ length: Math.min(500, profiles - from) }, (_, i) =>
      row(`user${String(from + i).padStart(6, '0')}`),
    );
    const result = await runOperation(fleet, 'profile.import', { profiles: batch });
    if (result.failed.length > 0)
      throw new Error(`import failed: ${JSON.stringify(result.failed[0])}`);
  }
  const importSeconds = seconds(start);
  const importRate = profiles / importSeconds;
  rows.push({
    case: 'profile.import, batches of 500',
    profiles,
    seconds: importSeconds,
    'profiles/s': importRate,
  });

  const timed = async (work: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t = process.hrtime.bigint();
      await work();
      samples.push(seconds(t) * 1000);
    }
    return median(samples);
  };
  const pageMs = await timed(() =>
    runOperation(fleet, 'profile.list', { limit: 100, prefix: 'user0099' }),
  );
  const fullMs = await timed(() => runOperation(fleet, 'profile.list', {}));
  rows.push({ case: 'profile.list page of 100 (prefix)', profiles, 'median ms': pageMs });
  rows.push({ case: 'profile.list everything (baseline)', profiles, 'median ms': fullMs });
  const snapshotMs = await timed(() => runOperation(fleet, 'storage.snapshot', {}));
  rows.push({ case: 'storage.snapshot (aviary backup)', profiles, 'median ms': snapshotMs });
  await fleet.stop();

  publish({
    name: 'fleet',
    rows,
    summary: {
      'import speed-up over one at a time': importRate / sequentialRate,
      'page / full list': pageMs / fullMs,
      'aim: 10,000 imported in under 60 s': profiles >= 10_000 ? importSeconds < 60 : null,
    },
  });
}
