import { describe, expect, it } from 'vitest';
import { formatLogLine, prettyDestination } from './log-pretty.js';

const record = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), pid: 42, ...fields });

describe('human-readable log lines', () => {
  it('shows time, level, message and context fields on one line', () => {
    const line = formatLogLine(
      record({ msg: 'reconnecting after backoff', profile: 'alice', delayMs: 200 }),
      {
        color: false,
      },
    );
    expect(line).toMatch(
      /^\d\d:\d\d:\d\d\.006 INFO {2}reconnecting after backoff {2}profile=alice delayMs=200\n$/,
    );
    expect(line).not.toContain('pid');
  });

  it('quotes values with spaces and prints error stacks on indented lines', () => {
    const line = formatLogLine(
      JSON.stringify({
        level: 50,
        time: 0,
        msg: 'stop failed',
        reason: 'disk full',
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (x.js:1:1)' },
      }),
      { color: false },
    );
    expect(line.split('\n')[0]).toMatch(
      /ERROR stop failed {2}reason="disk full" err="Error: boom"$/,
    );
    expect(line).toContain('\n    Error: boom\n        at f (x.js:1:1)\n');
  });

  it('colours by level only when asked', () => {
    expect(formatLogLine(record({ msg: 'x' }), { color: true })).toContain('\u001b[32mINFO');
    expect(formatLogLine(record({ msg: 'x' }), { color: false })).not.toContain('\u001b[');
  });

  it('passes a line that is not a JSON object through unchanged', () => {
    expect(formatLogLine('plain text\n', { color: false })).toBe('plain text\n');
    expect(formatLogLine('[1,2]', { color: false })).toBe('[1,2]');
  });

  it('rewrites each record pino writes before the sink', () => {
    const written: string[] = [];
    const destination = prettyDestination(
      { write: (text) => written.push(text) },
      { color: false },
    );
    destination.write(`${record({ msg: 'one' })}\n`);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/INFO {2}one\n$/);
  });
});
