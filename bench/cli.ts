/**
 * `npm run bench -- cli [--calls 20] [--baseline-cli PATH]`
 *
 * Wall time and CPU time of one `aviary` call against a running runtime (`status`,
 * `profile list`, `--help`), median of `--calls` sequential runs of the built CLI (the bundled
 * `bin`, `dist/cli/aviary.js`), beside a bare `node -e 0` (the floor no CLI goes under) and,
 * with `--baseline-cli`, the same calls through another build of the CLI (e.g. the main
 * branch's `dist/src/cli/main.js`) in the same run. Aim: under 250 ms per call. CPU time
 * (user + system of the called process, from start to exit) is what to compare on a loaded
 * machine, where wall time mostly measures the wait for a core.
 * The runtime is started here with `aviary init` + `aviary run` on a temporary data folder.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchRow, median, percentile, publish } from './report.js';

const CLI = fileURLToPath(new URL('../cli/aviary.js', import.meta.url));
/**
 * Preloaded into each timed process: at exit it writes its CPU time (user + system, µs, since
 * the process started) to file descriptor 3, which the benchmark reads.
 */
const REPORT_CPU = `data:text/javascript,${encodeURIComponent(
  "import{writeSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();writeSync(3,String(u.user+u.system))})",
)}`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

interface Samples {
  /** Wall milliseconds from spawn to exit. */
  readonly wall: number[];
  /** CPU milliseconds (user + system) of the called process. */
  readonly cpu: number[];
}

/** Wall and CPU milliseconds of `node ARGS` run to completion, `calls` times in a row. */
function time(args: readonly string[], calls: number): Samples {
  const samples: Samples = { wall: [], cpu: [] };
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, ['--import', REPORT_CPU, ...args], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    samples.wall.push(performance.now() - started);
    if (result.status !== 0)
      throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    samples.cpu.push(Number(String(result.output[3])) / 1000);
  }
  return samples;
}

async function startRuntime(dataDir: string): Promise<ChildProcess> {
  const init = spawnSync(process.execPath, [CLI, '--data-dir', dataDir, 'init']);
  if (init.status !== 0) throw new Error(`aviary init failed: ${init.stderr}`);
  const child = spawn(
    process.execPath,
    [CLI, '--data-dir', dataDir, 'run', '--log-level', 'warn'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((done, fail) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Aviary is running')) done();
    });
    child.on('exit', (code) => fail(new Error(`aviary run exited ${code}`)));
  });
  return child;
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'options: --calls N (20) --baseline-cli PATH (another build to compare)\n',
    );
    return;
  }
  const calls = Number(option(args, 'calls') ?? 20);
  if (!Number.isInteger(calls) || calls < 1) throw new Error('--calls needs a positive integer');
  const baseline = option(args, 'baseline-cli');
  const dataDir = mkdtempSync(join(tmpdir(), 'aviary-bench-cli-'));
  const runtime = await startRuntime(dataDir);
  const rows: BenchRow[] = [];
  const loadAtStart = loadavg()[0] ?? 0;
  try {
    const bare = time(['-e', '0'], calls);
    const floor = median(bare.wall);
    rows.push({
      cli: 'node -e 0',
      command: '-',
      median_ms: floor,
      p90_ms: Number.NaN,
      cpu_median_ms: median(bare.cpu),
    });
    const clis = [['this build', CLI], ...(baseline ? [['baseline', resolve(baseline)]] : [])];
    for (const command of [['status'], ['profile', 'list'], ['--help']]) {
      for (const [label, path] of clis) {
        const samples = time([path as string, '--data-dir', dataDir, ...command], calls);
        rows.push({
          cli: label as string,
          command: command.join(' '),
          median_ms: median(samples.wall),
          p90_ms: percentile(samples.wall, 90),
          cpu_median_ms: median(samples.cpu),
        });
      }
    }
    const of = (cli: string, command: string, column = 'median_ms') =>
      rows.find((r) => r.cli === cli && r.command === command)?.[column] as number;
    const summary: Record<string, number | string> = {
      calls,
      aim: 'status and profile list under 250 ms wall',
      status_over_bare_node: of('this build', 'status') / floor,
      load_average_1m_at_start: loadAtStart,
      load_average_1m_at_end: loadavg()[0] ?? 0,
    };
    if (baseline) {
      summary.status_speedup_vs_baseline = of('baseline', 'status') / of('this build', 'status');
      summary.profile_list_speedup_vs_baseline =
        of('baseline', 'profile list') / of('this build', 'profile list');
      summary.status_cpu_ratio_vs_baseline =
        of('this build', 'status', 'cpu_median_ms') / of('baseline', 'status', 'cpu_median_ms');
      summary.profile_list_cpu_ratio_vs_baseline =
        of('this build', 'profile list', 'cpu_median_ms') /
        of('baseline', 'profile list', 'cpu_median_ms');
    }
    publish({ name: 'cli', rows, summary });
  } finally {
    runtime.kill('SIGTERM');
    await new Promise((done) => runtime.once('exit', done));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
