/**
 * `npm run bench -- cli [--calls 20] [--baseline-cli PATH]`
 *
 * Wall time of one `aviary` call against a running runtime (`status`, `profile list`, `--help`),
 * median of `--calls` sequential runs of the built CLI, beside a bare `node -e 0` (the floor no
 * CLI goes under) and, with `--baseline-cli`, the same calls through another build of the CLI
 * (e.g. the main branch's `dist/src/cli/main.js`) in the same run. Aim: under 250 ms per call.
 * The runtime is started here with `aviary init` + `aviary run` on a temporary data folder.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchRow, median, percentile, publish } from './report.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Wall milliseconds of `node ARGS` run to completion, `calls` times in a row. */
function time(args: readonly string[], calls: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    samples.push(performance.now() - started);
    if (result.status !== 0)
      throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
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
  try {
    const floor = median(time(['-e', '0'], calls));
    rows.push({ cli: 'node -e 0', command: '-', median_ms: floor, p90_ms: Number.NaN });
    const clis = [['this build', CLI], ...(baseline ? [['baseline', resolve(baseline)]] : [])];
    for (const command of [['status'], ['profile', 'list'], ['--help']]) {
      for (const [label, path] of clis) {
        const samples = time([path as string, '--data-dir', dataDir, ...command], calls);
        rows.push({
          cli: label as string,
          command: command.join(' '),
          median_ms: median(samples),
          p90_ms: percentile(samples, 90),
        });
      }
    }
    const of = (cli: string, command: string) =>
      rows.find((r) => r.cli === cli && r.command === command)?.median_ms as number;
    const summary: Record<string, number | string> = {
      calls,
      aim: 'status and profile list under 250 ms wall',
      status_over_bare_node: of('this build', 'status') / floor,
    };
    if (baseline) {
      summary.status_speedup_vs_baseline = of('baseline', 'status') / of('this build', 'status');
      summary.profile_list_speedup_vs_baseline =
        of('baseline', 'profile list') / of('this build', 'profile list');
    }
    publish({ name: 'cli', rows, summary });
  } finally {
    runtime.kill('SIGTERM');
    await new Promise((done) => runtime.once('exit', done));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
