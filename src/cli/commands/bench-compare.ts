/**
 * `aviary bench compare A.json B.json`: prints the differences between two load reports
 * written by `aviary bench load` (A = baseline, B = new run).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { LoadReport } from '../../loadtest/index.js';
import { globalOptions } from '../context.js';
import { CliError, emit, renderTable } from '../output.js';

function readReport(path: string): LoadReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read the report ${path}: ${(error as Error).message}`);
  }
  const r = parsed as Partial<LoadReport>;
  if (typeof r !== 'object' || r === null || r.logins === undefined || r.latencyMs === undefined)
    throw new CliError(`${path} is not a load report of aviary bench load`);
  return parsed as LoadReport;
}

/** Registers `bench compare` (creating the `bench` group when missing). */
export function registerBenchCompareCommand(program: Command): void {
  const bench =
    program.commands.find((c) => c.name() === 'bench') ??
    program.command('bench').description('benchmarks and load tests');
  bench
    .command('compare')
    .description('print the differences between two load reports (JSON of aviary bench load)')
    .argument('<a>', 'baseline report (JSON)')
    .argument('<b>', 'report to compare with it (JSON)')
    .option('--all', 'also list the metrics that did not change')
    .action(async (a: string, b: string, flags: { all?: boolean }, command: Command) => {
      const global = globalOptions(command);
      const { compareReports } = await import('../../loadtest/compare-reports.js');
      const rows = compareReports(readReport(a), readReport(b)).filter(
        (d) => flags.all === true || d.a !== d.b,
      );
      emit(global.json, rows, () =>
        rows.length === 0
          ? 'no differences'
          : renderTable(
              rows.map((d) => ({
                metric: d.metric,
                unit: d.unit,
                A: d.a,
                B: d.b,
                change:
                  d.changePercent === null
                    ? null
                    : `${d.changePercent > 0 ? '+' : ''}${d.changePercent}%`,
              })),
            ),
      );
    });
}
