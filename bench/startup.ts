/**
 * `npm run bench -- startup [--rows 1000000] [--runs 5] [--journal 0,10000,100000]
 *   [--baseline-cli PATH]`
 *
 * How long `aviary run` takes until it says it is running (the `--json` line on stdout), on an
 * empty store and on a store holding `--rows` history rows (sql.js), and how StorageEngine.open
 * (snapshot load + journal replay + FTS catch-up) grows with the journal's length. Baselines in
 * the same run: a bare `node -e 0` and `aviary --help` (Node's own start and the CLI's imports).
 * Medians of `--runs` starts. The fixtures are built with fdatasync turned off (build speed only).
 * With `--baseline-cli` (another build's CLI, e.g. the main branch's `dist/src/cli/main.js`),
 * each `aviary run` case is also timed through it, on the same store, in the same run. Each
 * storage open runs in a fresh process and reports CPU time beside wall time (on a loaded
 * machine, compare CPU).
 * `--store DIR` keeps the big store in DIR: built there when DIR holds no manifest.json, reused
 * as it is otherwise, never deleted (a 1M-row store takes minutes to build).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type FsOps, nodeFsOps } from '../src/storage/fs-ops.js';
import type { StorageOutcome, StorageRequest } from '../src/storage/messages.js';
import { StorageEngine } from '../src/storage/storage-engine.js';
import { type BenchRow, median, publish } from './report.js';

const CLI = fileURLToPath(new URL('../cli/aviary.js', import.meta.url));
const noSyncFs: FsOps = {
  ...nodeFsOps,
  async openFile(path) {
    const file = await nodeFsOps.openFile(path);
    return { ...file, datasync: async () => undefined };
  },
};

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
}

function count(args: string[], name: string, fallback: number): number {
  const value = Number(option(args, name, String(fallback)));
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs a whole number`);
  return value;
}

const ok = (o: StorageOutcome | undefined) => {
  if (!o?.ok) throw new Error(JSON.stringify(o));
};

function historyAdd(uid: string, timestamp: number): StorageRequest {
  return {
    type: 'history.add',
    profile: 'bench',
    uid,
    from: 'bench@example.org/r',
    to: `peer${timestamp % 50}@example.org`,
    messageType: 'chat',
    timestamp,
    messages: { '': `message ${uid}: a body of ordinary length, a sentence or two of chat` },
  };
}

/** Milliseconds from spawn until `ready(stdout)` holds; then SIGTERM and wait for the exit. */
function timeUntil(
  args: readonly string[],
  ready: ((stdout: string) => boolean) | undefined,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let readyAt: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (readyAt === undefined && ready?.(stdout)) {
        readyAt = performance.now() - started;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (ready === undefined && code === 0) resolve(performance.now() - started);
      else if (readyAt !== undefined) resolve(readyAt);
      else
        reject(new Error(`${args.join(' ')} exited (${code}) before ready:\n${stdout}${stderr}`));
    });
  });
}

async function medianOf(runs: number, once: () => Promise<number>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  return median(samples);
}

const runArgs = (dataDir: string, cli = CLI) => [
  cli,
  '--data-dir',
  dataDir,
  '--json',
  'run',
  '--log-level',
  'warn',
];
const isRunning = (stdout: string) => stdout.includes('"apiUrl"');

/** A store with `rows` history rows (one profile, 50 peers), snapshotted, empty journal. */
async function buildStore(dir: string, rows: number): Promise<void> {
  const engine = await StorageEngine.open({ dataDir: dir, fs: noSyncFs });
  ok(
    (
      await engine.applyBatch([{ type: 'profile.create', name: 'bench', jid: 'bench@example.org' }])
    )[0],
  );
  for (let i = 0; i < rows; i += 5000) {
    const batch = Array.from({ length: Math.min(5000, rows - i) }, (_, k) =>
      historyAdd(`m-${i + k}`, i + k),
    );
    for (const o of await engine.applyBatch(batch)) ok(o);
  }
  await engine.close();
}

/** A store whose journal holds `records` one-row records after its snapshot. */
async function buildJournal(dir: string, records: number): Promise<number> {
  await buildStore(dir, 0);
  const engine = await StorageEngine.open({
    dataDir: dir,
    fs: noSyncFs,
    snapshotOnClose: false,
    snapshot: { maxJournalBytes: 2 ** 40 },
  });
  for (let i = 0; i < records; i++) ok((await engine.applyBatch([historyAdd(`j-${i}`, i)]))[0]);
  const bytes = engine.health().journalBytes;
  await engine.close();
  return bytes;
}

/** URL of a build's `storage-engine.js` (this build's, or the baseline's). */
type Engine = string;
const THIS_ENGINE: Engine = new URL('../src/storage/storage-engine.js', import.meta.url).href;

/**
 * The baseline build's StorageEngine, from the `dist/` folder its CLI lives in (opens compared
 * on the same store in the same run).
 */
function baselineEngine(cli: string): Engine | undefined {
  const at = cli.lastIndexOf('/dist/');
  if (at < 0) return undefined;
  const path = `${cli.slice(0, at)}/dist/src/storage/storage-engine.js`;
  return existsSync(path) ? pathToFileURL(path).href : undefined;
}

/**
 * Opens the store once in a process of its own and prints the open's wall and CPU
 * milliseconds (all threads of that process). A fresh process each time: a second open in
 * the same process reuses the WebAssembly memory the first one already touched, which hides
 * the cost of a real start (every page of new memory is a page fault).
 */
const OPEN_ONCE = `
const { StorageEngine } = await import(process.argv[1]);
const started = performance.now();
const before = process.cpuUsage();
const engine = await StorageEngine.open({ dataDir: process.argv[2], snapshotOnClose: false });
const cpu = process.cpuUsage(before);
const wall = performance.now() - started;
await engine.close();
process.stdout.write(JSON.stringify({ wall, cpu: (cpu.user + cpu.system) / 1000 }));
`;

/** Wall and CPU milliseconds of one StorageEngine.open (no snapshot on close: same journal). */
function openTime(dir: string, engine: Engine): Promise<{ wall: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', OPEN_ONCE, engine, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as { wall: number; cpu: number });
      else reject(new Error(`opening ${dir} with ${engine} exited with ${code}`));
    });
  });
}

async function openMedians(
  runs: number,
  dir: string,
  engineClass: Engine = THIS_ENGINE,
): Promise<{ wall: number; cpu: number }> {
  const samples: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < runs; i++) samples.push(await openTime(dir, engineClass));
  return { wall: median(samples.map((s) => s.wall)), cpu: median(samples.map((s) => s.cpu)) };
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'usage: npm run bench -- startup [--rows 1000000] [--runs 5] [--journal 0,10000,100000] [--baseline-cli PATH] [--store DIR]\n',
    );
    return;
  }
  const baselineIndex = args.indexOf('--baseline-cli');
  const baseline = baselineIndex >= 0 ? args[baselineIndex + 1] : undefined;
  const oldEngine = baseline === undefined ? undefined : baselineEngine(baseline);
  const rowsWanted = count(args, 'rows', 1_000_000);
  const runs = Math.max(1, count(args, 'runs', 5));
  const journals = option(args, 'journal', '0,10000,100000')
    .split(',')
    .map((v) => Number(v));
  if (journals.some((v) => !Number.isInteger(v) || v < 0))
    throw new Error('--journal takes a comma-separated list of record counts');
  const dirs: string[] = [];
  const fresh = () => {
    const d = mkdtempSync(join(tmpdir(), 'aviary-bench-startup-'));
    dirs.push(d);
    return d;
  };
  const rows: BenchRow[] = [];
  const summary: Record<string, number | string> = { load_average_1m_at_start: loadavg()[0] ?? 0 };
  /** The same `aviary run` case through the baseline CLI, when one is given. */
  const baselineRow = async (label: string, dir: string, thisBuildMs: number) => {
    if (baseline === undefined) return;
    const ms = await medianOf(runs, () => timeUntil(runArgs(dir, baseline), isRunning));
    rows.push({ case: `${label} (baseline CLI)`, 'ready ms': ms, 'vs baseline': null });
    const last = rows[rows.length - 2];
    if (last !== undefined) rows[rows.length - 2] = { ...last, 'vs baseline': thisBuildMs / ms };
  };
  try {
    const nodeMs = await medianOf(runs, () => timeUntil(['-e', '0'], undefined));
    rows.push({ case: 'baseline: node -e 0 (start to exit)', 'ready ms': nodeMs });
    const helpMs = await medianOf(runs, () => timeUntil([CLI, '--help'], undefined));
    rows.push({ case: 'baseline: aviary --help (start to exit)', 'ready ms': helpMs });

    const firstMs = await medianOf(runs, () => timeUntil(runArgs(fresh()), isRunning));
    rows.push({ case: 'aviary run, new data folder (creates the store)', 'ready ms': firstMs });
    const empty = fresh();
    await timeUntil(runArgs(empty), isRunning);
    const emptyMs = await medianOf(runs, () => timeUntil(runArgs(empty), isRunning));
    rows.push({
      case: 'aviary run, empty store',
      'ready ms': emptyMs,
      'vs node -e 0': Number((emptyMs / nodeMs).toFixed(1)),
    });
    await baselineRow('aviary run, empty store', empty, emptyMs);
    summary['aim: ready < 1 s on an empty store'] = emptyMs < 1000 ? 'met' : 'not met';

    const kept = args.includes('--store') ? option(args, 'store', '') : '';
    const big = kept === '' ? fresh() : kept;
    const buildStarted = performance.now();
    const built = !existsSync(join(big, 'manifest.json'));
    if (built) {
      mkdirSync(big, { recursive: true });
      await buildStore(big, rowsWanted);
    }
    const buildSeconds = Number(((performance.now() - buildStarted) / 1000).toFixed(1));
    const bigOpen = await openMedians(runs, big);
    if (oldEngine !== undefined) {
      const before = await openMedians(runs, big, oldEngine);
      summary['storage open CPU ms, big store, baseline build'] = before.cpu;
      summary['storage open CPU ms, big store, this build'] = bigOpen.cpu;
    }
    const bigMs = await medianOf(runs, () => timeUntil(runArgs(big), isRunning));
    const bigCase = `aviary run, ${rowsWanted.toLocaleString('en-US')} history rows`;
    rows.push({
      case: bigCase,
      'ready ms': bigMs,
      'storage open ms': bigOpen.wall,
      'storage open CPU ms': bigOpen.cpu,
      'store MB': storeMegabytes(big),
      'vs empty store': Number((bigMs / emptyMs).toFixed(1)),
    });
    await baselineRow(bigCase, big, bigMs);
    if (built) summary[`fixture build (${rowsWanted} rows, no fdatasync), s`] = buildSeconds;
    else summary['big store'] = `reused from ${big}`;
    summary[`aim: ready < 3 s with ${rowsWanted} rows`] = bigMs < 3000 ? 'met' : 'not met';

    for (const records of journals) {
      const dir = fresh();
      const bytes = await buildJournal(dir, records);
      const open = await openMedians(runs, dir);
      rows.push({
        case: `storage open: snapshot + ${records.toLocaleString('en-US')} journal records`,
        'storage open ms': open.wall,
        'storage open CPU ms': open.cpu,
        'journal MB': bytes / 2 ** 20,
        'CPU µs per record': records === 0 ? null : (open.cpu * 1000) / records,
      });
      if (oldEngine !== undefined) {
        const before = await openMedians(runs, dir, oldEngine);
        rows.push({
          case: `storage open: snapshot + ${records.toLocaleString('en-US')} journal records (baseline build)`,
          'storage open ms': before.wall,
          'storage open CPU ms': before.cpu,
          'journal MB': bytes / 2 ** 20,
          'CPU µs per record': records === 0 ? null : (before.cpu * 1000) / records,
        });
      }
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  summary.load_average_1m_at_end = loadavg()[0] ?? 0;
  publish({ name: 'startup', rows, summary });
}

/** Size of the data folder's files (snapshots, journals, manifest). */
function storeMegabytes(dir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) bytes += statSync(join(dir, name)).size;
  return bytes / 2 ** 20;
}
