import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { emit, renderTable, usageError } from '../output.js';
import { callOperation } from '../target.js';

/** ISO 8601 or seconds since the epoch, to ms. */
export function cliTimestamp(value: string): number {
  const asNumber = Number(value);
  const ms = Number.isFinite(asNumber) ? asNumber * 1000 : Date.parse(value);
  if (!Number.isFinite(ms))
    throw usageError(`not a timestamp (ISO 8601 or seconds since the epoch): ${value}`);
  return ms;
}

/** `aviary mam PROFILE`: reads the server's message archive (XEP-0313) through the runtime. */
export function registerMamCommand(program: Command): void {
  program
    .command('mam <profile>')
    .description(
      "query the server's message archive of a profile directly (XEP-0313; nothing is stored)",
    )
    .option('--with <jid>', 'messages to or from this JID')
    .option('--start <ts>', 'at or after this time (ISO 8601 or epoch seconds)', cliTimestamp)
    .option('--end <ts>', 'at or before this time (ISO 8601 or epoch seconds)', cliTimestamp)
    .option('--limit <n>', 'at most N messages (default 50)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 10_000)
        throw usageError(`--limit takes an integer from 1 to 10000, got ${JSON.stringify(v)}`);
      return n;
    })
    .action(async (profile: string, o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      const result = await callOperation(global, 'mam.query', {
        profile,
        ...(o.with !== undefined ? { with: o.with as string } : {}),
        ...(o.start !== undefined ? { start: o.start as number } : {}),
        ...(o.end !== undefined ? { end: o.end as number } : {}),
        ...(o.limit !== undefined ? { limit: o.limit as number } : {}),
      });
      emit(
        global.json,
        result,
        () =>
          renderTable(
            result.messages.map((m) => ({
              id: m.archiveId,
              time: m.timestamp === null ? '' : new Date(m.timestamp).toISOString(),
              from: m.from ?? '',
              to: m.to ?? '',
              message: Object.values(m.message)[0]?.slice(0, 60),
            })),
          ) + (result.complete ? '' : '\n(more in the archive: raise --limit or narrow the range)'),
      );
    });
}
