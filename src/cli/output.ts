import { AviaryError } from '../errors.js';

/** A command's failure with a message that says what to do, and an exit code. */
export class CliError extends AviaryError<'cli.error'> {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super('cli.error', message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

type Cell = string | number | boolean | null | undefined;

/** Renders rows as a readable table (columns in first-seen order, `-` for empty cells). */
export function renderTable(
  rows: readonly Readonly<Record<string, Cell>>[],
  columns?: readonly string[],
): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (rows.length === 0) return '(none)';
  const text = (v: Cell) => (v === null || v === undefined || v === '' ? '-' : String(v));
  const cells = rows.map((r) => cols.map((c) => text(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

/** Prints `data` as JSON (with --json) or through `human` otherwise. */
export function emit(json: boolean, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}
