/**
 * `aviary cache search`: full-text and parsed-data search over the pubsub cache, on the
 * running runtime (`POST /cache/search`) or, when none runs, on the data folder in-process.
 *
 * @example
 * aviary cache search --fts 'xmpp OR jabber' --type blog --parsed tags overlap '["xmpp"]' \
 *   --parsed published '>=' 2024-01-01 --order-by published:desc --limit 20
 */
import type { Command } from 'commander';
import type { CacheSearchQuery } from '../../cache/cache-messages.js';
import type {
  ItemSearchHit,
  ParsedFilter,
  ParsedOperator,
  SearchOrder,
} from '../../storage/messages.js';
import { parsePathText } from '../../storage/search-path.js';
import { globalOptions } from '../context.js';
import { emit, renderTable, usageError } from '../output.js';
import { callOperation } from '../target.js';

/** The options commander collects for `cache search`. */
export interface CacheSearchOptions {
  readonly fts?: string;
  readonly profile?: readonly string[];
  readonly service?: readonly string[];
  readonly node?: readonly string[];
  readonly type?: readonly string[];
  readonly subtype?: readonly string[];
  readonly name?: readonly string[];
  readonly parsed?: readonly string[];
  readonly orderBy?: readonly string[];
  readonly index?: string;
  readonly limit?: string;
  readonly withPayload?: boolean;
}

const FIXED_ORDER = new Set(['creation', 'modification', 'item', 'rank']);

/** A VALUE argument: JSON when it parses, the plain string otherwise. */
export function parseValueArg(text: string): ParsedFilter['value'] {
  try {
    return JSON.parse(text) as ParsedFilter['value'];
  } catch {
    return text;
  }
}

/** `--type none` (or an empty string) stands for "no type", as for subtypes. */
const orNull = (values: readonly string[]) =>
  values.map((v) => (v === '' || v === 'none' ? null : v));

function count(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw usageError(`${option} takes a non-negative integer`);
  return n;
}

function path(text: string, option: string): (string | number)[] {
  try {
    return parsePathText(text);
  } catch (error) {
    throw usageError(
      `${option}: ${(error as Error).message} (write keys as a.b and indexes as a[0])`,
    );
  }
}

/** Turns the command-line options into a storage search query (no I/O). */
export function searchQueryFromOptions(o: CacheSearchOptions): CacheSearchQuery {
  const parsed: ParsedFilter[] = [];
  const specs = o.parsed ?? [];
  if (specs.length % 3 !== 0) {
    throw usageError(
      '--parsed takes three arguments: PATH OP VALUE (quote VALUE if it has spaces)',
    );
  }
  for (let i = 0; i < specs.length; i += 3) {
    parsed.push({
      path: path(specs[i] as string, '--parsed'),
      op: specs[i + 1] as ParsedOperator, // checked by the storage, which names the bad one
      value: parseValueArg(specs[i + 2] as string),
    });
  }
  const orderBy: SearchOrder[] = (o.orderBy ?? []).map((spec) => {
    const colon = spec.lastIndexOf(':');
    const suffix = colon === -1 ? '' : spec.slice(colon + 1);
    const hasOrder = suffix === 'asc' || suffix === 'desc';
    const key = hasOrder ? spec.slice(0, colon) : spec;
    const order = hasOrder ? { order: suffix as 'asc' | 'desc' } : {};
    if (FIXED_ORDER.has(key)) return { by: key as 'creation', ...order };
    return { path: path(key, '--order-by'), ...order };
  });
  const index = count(o.index, '--index');
  const limit = count(o.limit, '--limit');
  const list = (values: readonly string[] | undefined) =>
    values === undefined || values.length === 0 ? undefined : values;
  const query: Record<string, unknown> = {
    query: o.fts,
    profiles: list(o.profile),
    services: list(o.service),
    nodes: list(o.node),
    types: o.type?.length ? orNull(o.type) : undefined,
    subtypes: o.subtype?.length ? orNull(o.subtype) : undefined,
    names: list(o.name),
    parsed: parsed.length > 0 ? parsed : undefined,
    orderBy: orderBy.length > 0 ? orderBy : undefined,
    index,
    limit,
    withPayload: o.withPayload === true ? true : undefined,
  };
  for (const key of Object.keys(query)) if (query[key] === undefined) delete query[key];
  return query as CacheSearchQuery;
}

const time = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/** Human output: one row per hit. */
export function renderHits(hits: readonly ItemSearchHit[]): string {
  return renderTable(
    hits.map((h) => ({
      profile: h.profile,
      service: h.service,
      node: h.node,
      item: h.name,
      created: time(h.created),
      updated: time(h.updated),
      ...(h.rank === null ? {} : { rank: h.rank.toFixed(3) }),
      ...(h.data === undefined ? {} : { payload: h.data }),
    })),
  );
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** Adds `search` under the `aviary cache` command. */
export function registerCacheSearchCommand(cache: Command): void {
  cache
    .command('search')
    .description('search cached pubsub items (full text, node filters, parsed data)')
    .option('--fts <query>', 'full-text query (FTS4 syntax: words, "phrases", OR, NOT, prefix*)')
    .option('--profile <name>', 'only this profile (repeatable)', collect)
    .option('--service <jid>', 'only this pubsub service (repeatable)', collect)
    .option('--node <name>', 'only this node (repeatable)', collect)
    .option('--type <type>', 'only nodes of this type; "none" = no type (repeatable)', collect)
    .option(
      '--subtype <type>',
      'only nodes of this subtype; "none" = no subtype (repeatable)',
      collect,
    )
    .option('--name <id>', 'only this item id (repeatable)', collect)
    .option(
      '--parsed <path op value...>',
      'parsed-data filter PATH OP VALUE, e.g. tags overlap \'["a"]\' (repeatable); OP: == != > >= < <= between in not_in overlap ioverlap disjoint idisjoint like ilike not_like not_ilike',
    )
    .option(
      '--order-by <key>',
      'creation, modification, item, rank or a parsed path, with :asc or :desc (repeatable)',
      collect,
    )
    .option('--index <n>', 'skip the first N hits')
    .option('--limit <n>', 'at most N hits')
    .option('--with-payload', 'include the raw item XML')
    .action(async (o: CacheSearchOptions, command: Command) => {
      const global = globalOptions(command);
      const query = searchQueryFromOptions(o);
      const hits = await callOperation(global, 'cache.search', query);
      emit(global.json, hits, () => renderHits(hits));
    });
}
