import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One measured row of a benchmark table. Numbers are medians unless the metric says otherwise. */
export type BenchRow = Readonly<Record<string, string | number | boolean | null>>;

export interface BenchReport {
  readonly name: string;
  readonly rows: readonly BenchRow[];
  /** Free-form facts: aims, ratios against the baseline, notes. */
  readonly summary?: Readonly<Record<string, string | number | boolean | null>>;
}

/** Median of a list of numbers (NaN for an empty list). */
/** `--help` (or `-h`) among `args`: prints `usage` and exits 0. */
export function exitWithUsageOnHelp(args: readonly string[], usage: string): void {
  if (!args.includes('--help') && !args.includes('-h')) return;
  process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
  process.exit(0);
}

/** The value after `--NAME` in `args`, or `fallback` when the option is absent. */
export function stringOption(args: readonly string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
}

/**
 * The rate held through the slowest tenth of a ramp: `doneAt` holds the times (ms from the
 * start, ascending) at which each of `total` items finished.
 */
export function slowestTenthRate(doneAt: readonly number[], total: number): number {
  const tenth = Math.max(1, Math.floor(total / 10));
  let slowest = Number.POSITIVE_INFINITY;
  for (let start = 0; start + tenth <= doneAt.length; start += tenth) {
    const from = start === 0 ? 0 : (doneAt[start - 1] as number);
    const to = doneAt[start + tenth - 1] as number;
    slowest = Math.min(slowest, (tenth * 1000) / Math.max(1, to - from));
  }
  return slowest;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile, `p` in 0..100. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

function formatCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
  }
  return String(value);
}

/** Renders rows as an aligned text table (columns in first-seen order). */
export function formatTable(rows: readonly BenchRow[]): string {
  const columns: string[] = [];
  for (const row of rows)
    for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const cells = rows.map((row) => columns.map((c) => formatCell(row[c])));
  const widths = columns.map((c, i) =>
    Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)),
  );
  const line = (values: readonly string[]) =>
    values.map((v, i) => v.padStart(widths[i] ?? 0)).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/**
 * Prints the report as a table and writes it as JSON to `bench/results/NAME-<timestamp>.json`
 * (and `NAME-latest.json`). Returns the path written.
 */
export function publish(
  report: BenchReport,
  resultsDir = join(process.cwd(), 'bench', 'results'),
): string {
  process.stdout.write(`\n== ${report.name} ==\n${formatTable(report.rows)}\n`);
  if (report.summary) {
    for (const [key, value] of Object.entries(report.summary)) {
      process.stdout.write(`${key}: ${formatCell(value)}\n`);
    }
  }
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const body = JSON.stringify(
    {
      ...report,
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memory: totalmem(),
        node: process.version,
      },
      at: new Date().toISOString(),
    },
    null,
    2,
  );
  const path = join(resultsDir, `${report.name}-${stamp}.json`);
  writeFileSync(path, body);
  writeFileSync(join(resultsDir, `${report.name}-latest.json`), body);
  process.stdout.write(`results written to ${path}\n`);
  return path;
}
