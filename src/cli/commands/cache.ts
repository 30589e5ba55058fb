import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { emit, renderTable, usageError } from '../output.js';
import { callOperation, requireRuntime } from '../target.js';
import { confirmDestructive } from '../terminal-prompt.js';

const int = (name: string) => (value: string) => {
  const n = Number.parseInt(value, 10);
  if (!Number.isInteger(n) || n < 0)
    throw usageError(`${name} must be a non-negative integer, got ${value}`);
  return n;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];
const isoSeconds = (value: string) => {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw usageError(`not an ISO 8601 date: ${value}`);
  return ms / 1000;
};

/** `aviary cache get|sync|purge|reset` (search is registered by its own module). */
export function registerCacheCommands(program: Command): Command {
  const cache = program.command('cache').description('the transparent pubsub cache (XEP-0060)');

  cache
    .command('get <profile> <service> <node>')
    .description(
      'pubsub items, from the cache when the node is synchronised, else from the service',
    )
    .option('--max <n>', 'the N most recent items', int('--max'))
    .option('--after <id>', 'RSM page after this key')
    .option('--before <id>', 'RSM page before this key ("" = last page)')
    .option('--index <n>', 'RSM page starting at this index', int('--index'))
    .option('--order <order>', 'creation or modification')
    .option('--no-cache', 'ask the service even for a synchronised node')
    .action(
      async (
        profile: string,
        service: string,
        node: string,
        o: Record<string, unknown>,
        command: Command,
      ) => {
        const global = globalOptions(command);
        const paging = [o.after, o.before, o.index].filter((v) => v !== undefined).length;
        if (paging > 1) throw usageError('give at most one of --after, --before, --index');
        if (o.order !== undefined && o.order !== 'creation' && o.order !== 'modification') {
          throw usageError('--order must be creation or modification');
        }
        const rsm =
          paging === 0 && o.max === undefined
            ? undefined
            : {
                ...(o.max !== undefined ? { max: o.max as number } : {}),
                ...(o.after !== undefined ? { after: o.after as string } : {}),
                ...(o.before !== undefined ? { before: o.before as string } : {}),
                ...(o.index !== undefined ? { index: o.index as number } : {}),
              };
        const result = await callOperation(global, 'cache.items', {
          profile,
          service,
          node,
          ...(paging > 0 && rsm
            ? { rsm }
            : o.max !== undefined
              ? { maxItems: o.max as number }
              : {}),
          ...(o.order !== undefined ? { orderBy: o.order as 'creation' | 'modification' } : {}),
          ...(o.cache === false ? { useCache: false } : {}),
        });
        emit(global.json, result, () =>
          [
            renderTable(
              result.items.map((i) => ({
                id: i.id,
                publisher: i.publisher,
                xml: i.xml.slice(0, 80),
              })),
            ),
            `${result.items.length} item(s) from the ${result.source}${result.rsm?.count !== undefined ? ` of ${result.rsm.count}` : ''}`,
          ].join('\n'),
        );
      },
    );

  cache
    .command('sync <profile> <service> <node>')
    .description('synchronise a node into the cache, with a progress bar while items arrive')
    .option('--no-resync', 'keep cached items instead of deleting and refetching them')
    .action(
      async (
        profile: string,
        service: string,
        node: string,
        o: { resync: boolean },
        command: Command,
      ) => {
        const global = globalOptions(command);
        const client = await requireRuntime(global);
        const { default: cliProgress } = await import('cli-progress');
        const bar =
          global.json || !process.stderr.isTTY
            ? undefined
            : new cliProgress.SingleBar(
                { stream: process.stderr, format: 'syncing {bar} {value}/{total} items' },
                cliProgress.Presets.shades_classic,
              );
        let started = false;
        const stop = client.subscribe((event, data) => {
          const d = data as {
            profile?: string;
            service?: string;
            node?: string;
            items?: number;
            total?: number;
          };
          if (!bar || event !== 'cacheSyncProgress') return;
          if (d.profile !== profile || d.service !== service || d.node !== node) return;
          const items = d.items ?? 0;
          if (!started) {
            bar.start(d.total ?? items, 0);
            started = true;
          }
          if (d.total !== undefined) bar.setTotal(d.total);
          bar.update(items);
        });
        const outcome = await client
          .call('cache.sync', { profile, service, node, resync: o.resync !== false })
          .finally(() => {
            stop();
            bar?.stop();
          });
        emit(global.json, outcome, () => JSON.stringify(outcome));
      },
    );

  cache
    .command('purge')
    .description('delete cached items matching the filters')
    .option('--service <jid>', 'service (repeatable)', collect)
    .option('--node <name>', 'node (repeatable)', collect)
    .option('--type <type>', 'node type, "" for none (repeatable)', collect)
    .option('--subtype <subtype>', 'node subtype, "" for none (repeatable)', collect)
    .option('--profile <name>', 'profile (repeatable)', collect)
    .option('--created-before <iso>', 'items created before this date', isoSeconds)
    .option('--updated-before <iso>', 'items updated before this date', isoSeconds)
    .option('-y, --yes', 'without any filter, delete every cached item without asking')
    .action(async (o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      const filtered = [
        'service',
        'node',
        'type',
        'subtype',
        'profile',
        'createdBefore',
        'updatedBefore',
      ].some((key) => o[key] !== undefined);
      if (!filtered) await confirmDestructive('delete every cached item', o.yes === true);
      const nullable = (values: unknown) =>
        (values as string[] | undefined)?.map((v) => (v === '' ? null : v));
      const result = await callOperation(global, 'cache.purge', {
        ...(o.service ? { services: o.service as string[] } : {}),
        ...(o.node ? { nodes: o.node as string[] } : {}),
        ...(o.type ? { types: nullable(o.type) as (string | null)[] } : {}),
        ...(o.subtype ? { subtypes: nullable(o.subtype) as (string | null)[] } : {}),
        ...(o.profile ? { profiles: o.profile as string[] } : {}),
        ...(o.createdBefore !== undefined ? { createdBefore: o.createdBefore as number } : {}),
        ...(o.updatedBefore !== undefined ? { updatedBefore: o.updatedBefore as number } : {}),
      });
      emit(global.json, result, () => `${result.deleted} item(s) deleted`);
    });

  cache
    .command('reset')
    .description('drop every cached node and its items')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (o: { yes?: boolean }, command: Command) => {
      const global = globalOptions(command);
      await confirmDestructive('drop every cached node and its items', o.yes === true);
      const result = await callOperation(global, 'cache.reset', {});
      emit(global.json, result, () => `${result.deleted} node(s) dropped`);
    });
  return cache;
}
