import { AviaryError } from '../errors.js';

/** The codes a CLI command fails with by itself (others come from the runtime, unchanged). */
export type CliErrorCode =
  | 'cli.error'
  | 'cli.usage'
  | 'cli.no-runtime'
  | 'cli.environment'
  | 'cli.no-data-folder';

/**
 * A command's failure with a message that says what to do, and its exit status: 2 for usage
 * errors (bad arguments), 1 otherwise.
 *
 * @example
 * throw new CliError('--tls must be required, optional or off', { code: 'cli.usage' });
 */
export class CliError extends AviaryError<CliErrorCode> {
  readonly exitCode: number;
  constructor(
    message: string,
    options: { code?: CliErrorCode; exitCode?: number; cause?: unknown } = {},
  ) {
    const code = options.code ?? 'cli.error';
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? (code === 'cli.usage' ? 2 : 1);
  }
}

/** A bad argument or option: exit status 2. */
export function usageError(message: string): CliError {
  return new CliError(message, { code: 'cli.usage' });
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
