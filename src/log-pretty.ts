/**
 * Human-readable log lines for a terminal, in the style of pino-pretty: pino's JSON records
 * become `HH:MM:SS.mmm LEVEL message  key=value …`, coloured by level unless NO_COLOR is set
 * (https://no-color.org). Error stacks follow on indented lines. Off a terminal the runtime keeps
 * writing JSON (one object per line), which log collectors parse.
 */

const LEVELS: Readonly<Record<number, { name: string; color: string }>> = {
  10: { name: 'TRACE', color: '\u001b[90m' },
  20: { name: 'DEBUG', color: '\u001b[36m' },
  30: { name: 'INFO ', color: '\u001b[32m' },
  40: { name: 'WARN ', color: '\u001b[33m' },
  50: { name: 'ERROR', color: '\u001b[31m' },
  60: { name: 'FATAL', color: '\u001b[41m\u001b[97m' },
};
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';
/** Fields every record has, shown in their own place (or left out) rather than as key=value. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

function clock(time: unknown): string {
  const date = new Date(typeof time === 'number' ? time : Date.now());
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(
    date.getMilliseconds(),
  ).padStart(3, '0')}`;
}

/** `value` as it reads on one line: bare words stay bare, the rest is JSON. */
function show(value: unknown): string {
  if (typeof value === 'string') return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * One pino JSON record as a terminal line (with a trailing newline). A line that is not a JSON
 * object is returned as it came: nothing is lost.
 */
export function formatLogLine(line: string, options: { readonly color: boolean }): string {
  let record: Record<string, unknown>;
  try {
    const parsed = JSON.parse(line) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    record = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = LEVELS[Number(record.level)] ?? { name: String(record.level), color: '' };
  const paint = (text: string, color: string) => (options.color ? `${color}${text}${RESET}` : text);
  const stacks: string[] = [];
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => {
      const error = value as { type?: unknown; message?: unknown; stack?: unknown } | null;
      if ((key === 'err' || key === 'error') && typeof error === 'object' && error !== null) {
        if (typeof error.stack === 'string') stacks.push(error.stack);
        return `${key}=${show(`${String(error.type ?? 'Error')}: ${String(error.message ?? '')}`)}`;
      }
      return `${key}=${show(value)}`;
    });
  const head = `${paint(clock(record.time), DIM)} ${paint(level.name, level.color)} ${String(
    record.msg ?? '',
  )}`;
  const tail = fields.length > 0 ? `  ${paint(fields.join(' '), DIM)}` : '';
  const stack = stacks.map((text) => `\n${text.replace(/^/gm, '    ')}`).join('');
  return `${head}${tail}${stack}\n`;
}

/** A pino destination that rewrites each record with {@link formatLogLine} before `sink`. */
export function prettyDestination(
  sink: { write(text: string): unknown },
  options: { readonly color: boolean },
): { write(text: string): void } {
  return {
    write(text: string) {
      // pino writes one record per call, newline-terminated.
      sink.write(
        text
          .split('\n')
          .filter((part) => part !== '')
          .map((part) => formatLogLine(part, options))
          .join(''),
      );
    },
  };
}
