import type { Command } from 'commander';
import type { OperationInput } from '../../api/operations.js';
import { globalOptions } from '../context.js';
import { emit, renderTable, usageError } from '../output.js';
import { callOperation, requireRuntime } from '../target.js';

async function readStdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const timestamp = (value: string) => {
  const asNumber = Number(value);
  const ms = Number.isFinite(asNumber) ? asNumber * 1000 : Date.parse(value);
  if (!Number.isFinite(ms))
    throw usageError(`not a timestamp (ISO 8601 or seconds since the epoch): ${value}`);
  return ms;
};

export function registerMessageCommands(program: Command): void {
  const message = program.command('message').description('send messages');
  message
    .command('send <profile> <to> [body]')
    .description('send a message through the workflow (body from standard input when omitted)')
    .option('--type <type>', 'auto (default), chat, normal, groupchat or headline', 'auto')
    .option('--subject <subject>', 'subject')
    .option('--lang <lang>', 'xml:lang of the body and subject')
    .action(
      async (
        profile: string,
        to: string,
        body: string | undefined,
        o: Record<string, string>,
        command: Command,
      ) => {
        const global = globalOptions(command);
        // Refused before reading the body: sending needs a running runtime.
        const client = await requireRuntime(global);
        const text = body ?? (await readStdinText());
        const lang = o.lang ?? '';
        const result = await client.call('message.send', {
          profile,
          to,
          type: o.type as OperationInput<'message.send'>['type'],
          ...(text !== '' ? { message: { [lang]: text } } : {}),
          ...(o.subject !== undefined ? { subject: { [lang]: o.subject } } : {}),
        });
        emit(global.json, result, () =>
          result.outcome === 'sent'
            ? `sent ${result.message.uid}${result.stored ? ' (stored)' : ''}`
            : `cancelled by ${result.plugin} at ${result.stage}: ${result.reason}`,
        );
        if (result.outcome !== 'sent') process.exitCode = 3;
      },
    );

  program
    .command('history <profile>')
    .description('query the message history of a profile')
    .option('--with <jid>', 'messages with this JID')
    .option('--between <jids>', 'messages between two JIDs: A,B')
    .option('--before <ts>', 'before this time (ISO 8601 or epoch seconds)', timestamp)
    .option('--after <ts>', 'after this time (ISO 8601 or epoch seconds)', timestamp)
    .option('--search <text>', 'full-text search in bodies')
    .option('--type <type...>', 'message types')
    .option('--limit <n>', 'at most N messages', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw usageError(`--limit takes a non-negative integer, got ${JSON.stringify(v)}`);
      return n;
    })
    .option('--order <order>', 'asc or desc (default desc)')
    .option('--sync', "catch up with the server's message archive (XEP-0313) first")
    .action(async (profile: string, o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      if (o.sync === true) {
        const synced = await callOperation(global, 'history.sync', { profile });
        if (!global.json)
          process.stderr.write(`archive catch-up: ${synced.fetched} message(s) fetched\n`);
      }
      const between = o.between === undefined ? undefined : String(o.between).split(',');
      if (between !== undefined && between.length !== 2)
        throw usageError('--between takes two JIDs: A,B');
      type Query = OperationInput<'history.query'>;
      const rows = await callOperation(global, 'history.query', {
        profile,
        ...(o.with !== undefined ? { with: o.with as string } : {}),
        ...(between ? { between: [between[0] as string, between[1] as string] } : {}),
        ...(o.before !== undefined ? { before: o.before as number } : {}),
        ...(o.after !== undefined ? { after: o.after as number } : {}),
        ...(o.search !== undefined ? { search: o.search as string } : {}),
        ...(o.type !== undefined ? { types: o.type as Query['types'] } : {}),
        ...(o.limit !== undefined ? { limit: o.limit as number } : {}),
        ...(o.order !== undefined ? { order: o.order as Query['order'] } : {}),
      });
      emit(global.json, rows, () =>
        renderTable(
          rows.map((r) => ({
            time: new Date(r.timestamp).toISOString(),
            from: r.from,
            to: r.to,
            type: r.type,
            message: Object.values(r.message)[0]?.slice(0, 60),
          })),
        ),
      );
    });
}
