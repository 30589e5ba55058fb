/**
 * Applying pubsub notifications (XEP-0060 §7.1.2.1 items, §7.2.2.1 retract) to a cached node:
 * published items are parsed and upserted, retracted ones deleted. A payload-less notification
 * (`pubsub#deliver_payloads` false) is completed by fetching the items by id (§6.5.8). An item
 * that fails to parse is logged and skipped; the others are kept.
 * Node deletion and purge change the node's state, so the actor handles them itself.
 */
import type { KernelLogger } from '../actors/types.js';
import type { ParserRef } from '../parsers/parser-protocol.js';
import type { ItemsEvent, PubsubClient, PubsubItem } from '../pubsub/index.js';
import type { Json } from '../storage/messages.js';
import type { CacheParse, CacheStorage } from './cache-deps.js';
import type { NodeTarget } from './cache-messages.js';

export interface EventApplyDeps {
  readonly storage: CacheStorage;
  readonly parse?: CacheParse | undefined;
  readonly pubsub?: PubsubClient | undefined;
  readonly log: KernelLogger;
}

/**
 * Writes one items event into the cache; resolves with the number of items upserted and
 * deleted. Storage failures reject (the caller logs them).
 *
 * @example
 * await applyItemsEvent({ storage, parse, log }, target, event, analyser.parser);
 */
export async function applyItemsEvent(
  deps: EventApplyDeps,
  target: NodeTarget,
  event: Pick<ItemsEvent, 'items' | 'retracted'>,
  parser: ParserRef | undefined,
): Promise<{ upserted: number; deleted: number }> {
  let items: PubsubItem[] = event.items.filter((item) => item.id !== '');
  const bare = items.filter((item) => item.xml === '').map((item) => item.id);
  if (bare.length > 0 && deps.pubsub !== undefined) {
    try {
      const fetched = await deps.pubsub.getItems(target.service, target.node, {
        itemIds: bare,
        withElement: false,
      });
      const byId = new Map(fetched.items.map((item) => [item.id, item]));
      items = items.map((item) => (item.xml === '' ? (byId.get(item.id) ?? item) : item));
    } catch (error) {
      deps.log.warn({ ...target, items: bare, error }, 'pubsub cache: cannot fetch notified items');
    }
  }
  items = items.filter((item) => item.xml !== '');

  let parsed: (Json | undefined)[] = items.map(() => undefined);
  if (parser !== undefined && deps.parse !== undefined && items.length > 0) {
    try {
      const results = await deps.parse(
        parser,
        items.map((item) => item.xml),
        {},
      );
      parsed = results.map((result, i) => {
        // Events ask for values; JSON text would only come from a parser asked for it.
        if (result.ok) return ('value' in result ? result.value : JSON.parse(result.json)) as Json;
        deps.log.warn(
          { ...target, item: items[i]?.id, reason: result.error.message },
          'pubsub cache: event item failed to parse; skipped',
        );
        return undefined;
      });
      items = items.filter((_, i) => parsed[i] !== undefined);
      parsed = parsed.filter((value) => value !== undefined);
    } catch (error) {
      deps.log.warn({ ...target, error }, 'pubsub cache: parser failed on an event; items skipped');
      items = [];
    }
  }
  const rows = items.map((item, i) => ({
    name: item.id,
    data: item.xml,
    ...(parsed[i] === undefined ? {} : { parsed: parsed[i] as Json }),
  }));
  const where = { profile: target.profile, service: target.service, node: target.node };
  // Retracts after publishes: one <items/> never retracts what it publishes.
  if (rows.length > 0)
    await deps.storage.request({ type: 'pubsub.items.upsert', ...where, items: rows });
  const deleted =
    event.retracted.length === 0
      ? 0
      : (
          await deps.storage.request({
            type: 'pubsub.items.delete',
            ...where,
            names: event.retracted,
          })
        ).deleted;
  return { upserted: rows.length, deleted };
}
