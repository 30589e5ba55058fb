/**
 * Synchronising one node into the cache: page through its items with RSM (XEP-0059 §2.2,
 * https://xmpp.org/extensions/xep-0059.html) up to the cache limit, or, when the service
 * answers without RSM (Prosody 0.12), take the `max_items` most recent in one request
 * (XEP-0060 §6.5.7). Each page is parsed and stored as it arrives while the next one is
 * fetched. When the node holds more than the limit, its most recent `limit` items are kept
 * (an RSM `index` jump when the service reports `count`).
 *
 * Pages are sized to fit in a stanza: the first asks for what `pageBytes` holds at an assumed
 * item size, the next ones for what it holds at the item size seen so far, never more than
 * `pageSize`. A page that does not come back (a reply too large for the stream is skipped, so
 * the request times out) is asked again at half the size, down to {@link MIN_PAGE}.
 *
 * Items get synthetic timestamps just before the sync started, in service order (oldest
 * first), so cached answers keep the service's order and items from events received during
 * the sync sort after them.
 */
import type { KernelLogger } from '../actors/types.js';
import { AviaryError } from '../errors.js';
import type { ParserRef } from '../parsers/parser-protocol.js';
import {
  type ItemsPage,
  type PubsubClient,
  type PubsubItem,
  PubsubResponseError,
} from '../pubsub/index.js';
import type { Json } from '../storage/messages.js';
import type { CacheParse, CacheStorage } from './cache-deps.js';
import type { NodeTarget } from './cache-messages.js';
import { createPagePipeline } from './page-pipeline.js';

export interface NodeSyncDeps {
  readonly pubsub: PubsubClient;
  readonly storage: CacheStorage;
  readonly parse?: CacheParse | undefined;
  readonly log: KernelLogger;
}

export interface NodeSyncJob extends NodeTarget {
  readonly parser?: ParserRef | undefined;
  readonly limit: number;
  /** Most items asked for in one page. */
  readonly pageSize: number;
  /** Bytes one page should stay under (half the stream's stanza limit, say). */
  readonly pageBytes?: number | undefined;
  /** Seconds since the epoch when the sync started. */
  readonly startedAt: number;
  readonly signal: AbortSignal;
  /** True for items an event already wrote (or retracted): the sync's copy is older. */
  readonly skip: (itemId: string) => boolean;
  readonly onProgress?: ((stored: number, total: number | undefined) => void) | undefined;
}

export interface NodeSyncResult {
  readonly items: number;
  readonly rsm: boolean;
  /** The service held more than the limit; the most recent items were kept. */
  readonly truncated: boolean;
}

/** The parsed form of one item as the storage takes it: JSON text from the pool, or a value. */
type ParsedRow = { readonly parsedJson: string } | { readonly parsed: Json };

/** Spacing of synthetic timestamps (seconds): distinct at epoch magnitudes (ulp ≈ 2.4e-7). */
const STEP = 1e-5;

/** Item size assumed for the first page, before any item was seen (a blog post with content). */
export const ASSUMED_ITEM_BYTES = 4096;
/** Pages fetched but not yet stored, at most (parsing and storing overlap the next fetch). */
export const PIPELINE_PAGES = 3;
/** The smallest page asked for after failures. */
export const MIN_PAGE = 5;
/** Page budget when the job gives none (half of a 256 KiB stanza limit). */
export const DEFAULT_PAGE_BYTES = 128 * 1024;

/** Whether a failed page request may succeed smaller: its reply was skipped as too large, or never came. */
function retrySmaller(error: unknown): boolean {
  return (
    error instanceof AviaryError &&
    (error.code === 'xmpp.timeout' || error.code === 'xmpp.stanza-too-large')
  );
}

/** Runs the sync; throws (AviaryError) on any failure, leaving cleanup to the caller. */
export async function syncNode(deps: NodeSyncDeps, job: NodeSyncJob): Promise<NodeSyncResult> {
  const { service, node, limit } = job;
  const pageBytes = job.pageBytes ?? DEFAULT_PAGE_BYTES;
  let itemBytes = ASSUMED_ITEM_BYTES;
  let seenItems = 0;
  let seenBytes = 0;
  /** Items for the next page: what fits in `pageBytes` at the item size seen so far. */
  const pageMax = (room: number) =>
    Math.max(1, Math.min(job.pageSize, room, Math.floor(pageBytes / itemBytes)));
  const get = (options: Parameters<PubsubClient['getItems']>[2]) =>
    deps.pubsub.getItems(service, node, { ...options, withElement: false });
  /** An RSM page of at most `max` items, asked again smaller while its reply does not come. */
  const getPage = async (max: number, rsm: { index?: number; after?: string }) => {
    let size = max;
    for (;;) {
      try {
        const page = await get({ rsm: { max: size, ...rsm } });
        for (const item of page.items) {
          seenItems++;
          seenBytes += item.xml.length;
        }
        if (seenItems > 0) itemBytes = Math.max(1, Math.ceil(seenBytes / seenItems));
        return page;
      } catch (error) {
        if (!retrySmaller(error) || size <= MIN_PAGE || job.signal.aborted) throw error;
        size = Math.max(MIN_PAGE, Math.floor(size / 2));
        deps.log.warn(
          { ...target(job), pageItems: size },
          'pubsub cache: page reply did not come; asking smaller pages',
        );
        itemBytes = Math.max(itemBytes, Math.ceil(pageBytes / size));
      }
    }
  };
  const seen = new Map<string, string>();
  let seq = 0;
  let stored = 0;

  const checkRepeats = (items: readonly PubsubItem[]) => {
    for (const item of items) {
      // Same id with the same payload again: the service repeats itself (a changed payload
      // is an update published during the sync, which is fine).
      if (seen.get(item.id) === item.xml) {
        throw new PubsubResponseError(`service returned item ${item.id} twice`, {
          details: { service, node, item: item.id },
        });
      }
      seen.set(item.id, item.xml);
    }
  };

  /**
   * Parses a page's payloads in one parser task, as JSON text: the values never cross a thread
   * boundary as objects (one structured clone each way per page, of strings).
   */
  const parsePage = async (items: readonly PubsubItem[]): Promise<ParsedRow[] | undefined> => {
    if (job.parser === undefined || deps.parse === undefined || items.length === 0) {
      return undefined;
    }
    const results = await deps.parse(
      job.parser,
      items.map((i) => i.xml),
      { signal: job.signal, batchSize: items.length, output: 'json' },
    );
    return results.map((result, i) => {
      if (!result.ok) {
        throw new AviaryError(
          'cache.parse-failed',
          `item ${items[i]?.id} failed to parse: ${result.error.message}`,
          { details: { service, node, item: items[i]?.id } },
        );
      }
      return 'json' in result ? { parsedJson: result.json } : { parsed: result.value as Json };
    });
  };

  /** Writes a parsed page: one storage request for the whole page. */
  const write = async (
    items: readonly PubsubItem[],
    first: number,
    parsed: readonly ParsedRow[] | undefined,
    total: number | undefined,
  ) => {
    // From here to the request, nothing awaits: an event handled before this point is seen by
    // `skip`, one handled after it is written after this page (the storage applies in order).
    if (job.signal.aborted) throw abortError(job);
    const rows = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as PubsubItem;
      if (job.skip(item.id)) continue;
      const at = job.startedAt - (limit + 1 - (first + i)) * STEP;
      rows.push({
        name: item.id,
        data: item.xml,
        created: at,
        updated: at,
        ...(parsed?.[i] ?? {}),
      });
    }
    if (rows.length > 0) {
      await deps.storage.request({ type: 'pubsub.items.upsert', ...target(job), items: rows });
    }
    stored += items.length;
    job.onProgress?.(stored, total);
  };

  const pipeline = createPagePipeline(PIPELINE_PAGES);
  const store = (items: readonly PubsubItem[], total: number | undefined) => {
    const first = seq;
    seq += items.length;
    return pipeline.add(parsePage(items), (parsed) => write(items, first, parsed, total));
  };

  /** Asks for the pages in order and hands each to the pipeline. */
  const fetchPages = async (): Promise<NodeSyncResult> => {
    if (job.signal.aborted) throw abortError(job);
    const probe = await getPage(pageMax(limit), {});
    if (probe.rsm === undefined) {
      await syncWithoutRsm(get, job, checkRepeats, store);
      await pipeline.drain();
      return { items: stored, rsm: false, truncated: false };
    }

    let page: ItemsPage = probe;
    let count = probe.rsm.count;
    let startIndex = 0;
    let truncated = false;
    if (count !== undefined && count > limit) {
      truncated = true;
      startIndex = count - limit;
      page = await getPage(pageMax(limit), { index: startIndex });
    }
    let taken = 0;
    let previousLast: string | undefined;
    for (;;) {
      if (job.signal.aborted) throw abortError(job);
      checkRepeats(page.items);
      const items = page.items.slice(0, limit - taken);
      taken += items.length;
      count = page.rsm?.count ?? count;
      const last = page.rsm?.last;
      if (last !== undefined && last === previousLast) {
        throw new PubsubResponseError(`service repeated the page ending at ${last}`, {
          details: { service, node, last },
        });
      }
      previousLast = last;
      const more =
        page.items.length > 0 &&
        last !== undefined &&
        taken < limit &&
        !(count !== undefined && startIndex + taken >= count);
      // XEP-0059 §2.2: the next page needs this page's last key, so it is asked for now, before
      // this page is parsed and stored.
      const next = more ? getPage(pageMax(limit - taken), { after: last }) : undefined;
      next?.catch(() => undefined); // awaited below; avoid an unhandled rejection if store throws
      await store(items, count === undefined ? undefined : Math.min(count, limit));
      if (next === undefined) break;
      page = await next;
    }
    await pipeline.drain();
    if (truncated) {
      deps.log.warn(
        { ...target(job), count, limit },
        'pubsub cache: node holds more items than the cache limit; kept the most recent',
      );
    }
    return { items: stored, rsm: true, truncated };
  };

  try {
    return await fetchPages();
  } catch (error) {
    // The caller deletes what a failed sync stored: no page may be written after that.
    await pipeline.settle();
    throw error;
  }
}

async function syncWithoutRsm(
  get: (options: Parameters<PubsubClient['getItems']>[2]) => Promise<ItemsPage>,
  job: NodeSyncJob,
  checkRepeats: (items: readonly PubsubItem[]) => void,
  store: (items: readonly PubsubItem[], total: number) => Promise<void>,
): Promise<void> {
  // Libervia takes the latest 20 here; we take all the service keeps, up to the limit.
  const all = await get({ maxItems: job.limit });
  let items = [...all.items];
  checkRepeats(items);
  if (items.length >= 2) {
    // XEP-0060 does not fix the order of a max_items result; ask for the newest to find it.
    const newest = (await get({ maxItems: 1 })).items[0]?.id;
    if (newest !== undefined && newest === items[0]?.id) items.reverse();
  }
  items = items.slice(-job.limit);
  for (let i = 0; i < items.length; i += job.pageSize) {
    if (job.signal.aborted) throw abortError(job);
    await store(items.slice(i, i + job.pageSize), items.length);
  }
}

function target(job: NodeTarget): NodeTarget {
  return { profile: job.profile, service: job.service, node: job.node };
}

function abortError(job: NodeSyncJob): AviaryError {
  return new AviaryError('cache.sync-cancelled', `synchronisation of ${job.node} was cancelled`, {
    details: { ...target(job) },
  });
}
