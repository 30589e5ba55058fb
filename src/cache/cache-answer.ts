/**
 * Answering an items request from the cache with the service's semantics: `max_items` gives
 * the most recent items (XEP-0060 §6.5.7), item ids select items (§6.5.8), RSM pages with
 * `after`/`before`/`index` and reports `count`, `first` (with its index) and `last`
 * (XEP-0059 §2); a bare `<max/>` is the first page, `<before/>` the last one.
 */
import { isAviaryError } from '../errors.js';
import type { StorageRequest } from '../storage/messages.js';
import type { CacheStorage } from './cache-deps.js';
import type { CacheItemsRequest, CacheItemsResult, NodeTarget } from './cache-messages.js';

type ItemsGet = Extract<StorageRequest, { type: 'pubsub.items.get' }>;

/** The storage request answering `request`. */
export function toStorageGet(target: NodeTarget, request: CacheItemsRequest): ItemsGet {
  const rsm = request.rsm;
  let storageRsm: ItemsGet['rsm'];
  if (rsm !== undefined) {
    const anchored = rsm.after !== undefined || rsm.before !== undefined || rsm.index !== undefined;
    storageRsm = {
      ...(rsm.max === undefined ? {} : { max: rsm.max }),
      ...(rsm.after === undefined ? {} : { after: rsm.after }),
      ...(rsm.before === undefined ? {} : { before: rsm.before }),
      // XEP-0059 §2.1: a request with only <max/> asks for the first page.
      ...(rsm.index !== undefined ? { index: rsm.index } : anchored ? {} : { index: 0 }),
    };
  }
  return {
    type: 'pubsub.items.get',
    profile: target.profile,
    service: target.service,
    node: target.node,
    ...(request.itemIds === undefined ? {} : { names: request.itemIds }),
    ...(request.maxItems === undefined ? {} : { maxItems: request.maxItems }),
    ...(storageRsm === undefined ? {} : { rsm: storageRsm }),
    ...(request.orderBy === undefined ? {} : { orderBy: request.orderBy }),
  };
}

/**
 * Reads the answer from storage. `undefined` when the cache cannot answer (an RSM key that is
 * not one of its item ids, e.g. a key the service gave earlier): then ask the service.
 *
 * @example
 * const page = await answerFromCache(storage, target, { maxItems: 20 });
 */
export async function answerFromCache(
  storage: CacheStorage,
  target: NodeTarget,
  request: CacheItemsRequest,
): Promise<CacheItemsResult | undefined> {
  let page: Awaited<ReturnType<typeof storage.request<ItemsGet>>>;
  try {
    page = await storage.request(toStorageGet(target, request));
  } catch (error) {
    if (isAviaryError(error, 'storage.item-not-found')) return undefined;
    throw error;
  }
  const withRsm = request.rsm !== undefined;
  return {
    node: target.node,
    items: page.items.map((item) => ({ id: item.name, xml: item.data })),
    rsm: withRsm
      ? {
          count: page.rsm.count,
          first: page.rsm.first,
          firstIndex: page.rsm.first === undefined ? undefined : page.rsm.index,
          last: page.rsm.last,
        }
      : undefined,
    complete: page.complete,
    source: 'cache',
  };
}
