/**
 * The PubsubCacheActor: a transparent cache of pubsub nodes in front of XEP-0060 services
 * (https://xmpp.org/extensions/xep-0060.html), after Libervia's `pubsub_cache` plugin.
 *
 * - `cache.get-items` is the `getItems` hook: a COMPLETED node answers from storage with the
 *   service's semantics; anything else goes to the service (an unknown node is analysed, and
 *   synchronised in the background when its analyser says so).
 * - Events (`cache.event`) keep COMPLETED and IN_PROGRESS nodes true.
 * - Operations: synchronise (with resync), purge, reset, search, +notify namespaces.
 *
 * The mailbox never waits on the network: IQs, parsing and cache reads run as promises;
 * state changes come back as messages. Storage record reads/writes are awaited in turn.
 *
 * @example
 * const cache = system.spawn('pubsub-cache', makePubsubCacheActor({ storage, pubsubFor,
 *   analysers, parse: (p, xml, o) => pool.parseBatch(p, xml, o), clock, log, emit }),
 *   { supervision: { kind: 'resume' } });
 * const page = await cache.ask<CacheItemsResult>((replyTo) => ({ type: 'cache.get-items',
 *   profile, service, node, request: { maxItems: 20 }, replyTo }));
 */
import type { ActorContext, Behavior, BehaviorFactory, ReplyTo } from '../actors/types.js';
import { AviaryError } from '../errors.js';
import { answerFromCache } from './cache-answer.js';
import { type CacheConfig, defaultCacheConfig, type PubsubCacheDeps } from './cache-deps.js';
import { applyItemsEvent } from './cache-events.js';
import type { CacheActorMessage, CacheItemsResult, NodeTarget } from './cache-messages.js';
import { NodeEntries, type NodeEntry } from './node-entries.js';
import { notifyNamespaces } from './notify-namespaces.js';
import { createSyncControl, type SyncControl } from './sync-control.js';

type Msg<T extends CacheActorMessage['type']> = Extract<CacheActorMessage, { type: T }>;
type Ctx = ActorContext<CacheActorMessage>;

const target = (m: NodeTarget): NodeTarget => ({
  profile: m.profile,
  service: m.service,
  node: m.node,
});

/** Makes the behaviour factory of the cache actor; see the module comment. */
export function makePubsubCacheActor(deps: PubsubCacheDeps): BehaviorFactory<CacheActorMessage> {
  return () => {
    const config: CacheConfig = { ...defaultCacheConfig, ...deps.config };
    const { storage, log } = deps;
    const entries = new NodeEntries(storage, config.nodeMemory);
    let control: SyncControl | undefined;
    const controlFor = (ctx: Ctx): SyncControl => {
      control ??= createSyncControl(
        deps,
        config,
        (m) => ctx.self.tell(m),
        (to, value) => ctx.reply(to, value),
      );
      return control;
    };

    const fromService = (m: Msg<'cache.get-items'>, ctx: Ctx) => {
      const access = deps.pubsubFor(m.profile);
      if (access === undefined) {
        ctx.replyError(
          m.replyTo,
          new AviaryError('cache.offline', `profile ${m.profile} is not connected`),
        );
        return;
      }
      const { maxItems, itemIds, rsm } = m.request;
      access.client
        .getItems(m.service, m.node, { maxItems, itemIds, rsm, withElement: false })
        .then(
          (page) => ctx.reply(m.replyTo, { ...page, source: 'service' } satisfies CacheItemsResult),
          (error: unknown) => ctx.replyError(m.replyTo, error),
        );
    };

    const fromCache = (m: Msg<'cache.get-items'>, ctx: Ctx) => {
      answerFromCache(storage, target(m), m.request).then(
        (answer) => (answer === undefined ? fromService(m, ctx) : ctx.reply(m.replyTo, answer)),
        (error: unknown) => {
          log.warn({ ...target(m), error }, 'pubsub cache: cache read failed; asking the service');
          fromService(m, ctx);
        },
      );
    };

    /** Compares the most recent items with the service; a difference resynchronises. */
    const check = (entry: NodeEntry, ctx: Ctx) => {
      const access = deps.pubsubFor(entry.target.profile);
      if (access === undefined) return;
      entry.verified = true;
      const t = entry.target;
      const request = { maxItems: config.checkItems };
      const signature = (items: readonly { id: string; xml: string }[]) =>
        items
          .map((i) => `${i.id}\u0000${i.xml}`)
          .sort()
          .join('\u0001');
      Promise.all([
        access.client.getItems(t.service, t.node, { ...request, withElement: false }),
        answerFromCache(storage, t, request),
      ]).then(
        ([service, cached]) => {
          if (cached === undefined || signature(service.items) !== signature(cached.items)) {
            ctx.self.tell({ type: 'cache.check-failed', ...t, reason: 'latest items differ' });
          }
        },
        (error: unknown) => log.warn({ ...t, error }, 'pubsub cache: re-check failed'),
      );
    };

    const getItems = async (m: Msg<'cache.get-items'>, ctx: Ctx) => {
      if (!config.enabled || m.request.useCache === false || m.node === '') {
        fromService(m, ctx);
        return;
      }
      const entry = await entries.load(target(m));
      const state = entry.info?.syncState ?? null;
      if (entry.analysing) {
        fromService(m, ctx);
      } else if (entry.info === null || state === null) {
        controlFor(ctx).startAnalysis(entry, false);
        fromService(m, ctx);
      } else if (state === 'COMPLETED') {
        if (!entry.verified) check(entry, ctx);
        fromCache(m, ctx);
      } else {
        if (state === 'IN_PROGRESS') {
          const run = entry.run;
          if (run === undefined) {
            log.warn(
              target(m),
              'pubsub cache: node left IN_PROGRESS (restart); synchronising again',
            );
            await controlFor(ctx).startSync(entry);
          } else if (deps.clock.now() - run.startedAt > config.syncDeadlineMs) {
            log.warn(target(m), 'pubsub cache: synchronisation past its deadline; starting again');
            await controlFor(ctx).startSync(entry);
          }
        }
        fromService(m, ctx);
      }
    };

    const onEvent = async (m: Msg<'cache.event'>, ctx: Ctx) => {
      const event = m.event;
      if (!config.enabled || event.node === '') return;
      const t = { profile: m.profile, service: event.service, node: event.node };
      const entry = await entries.load(t);
      const state = entry.info?.syncState;
      if (state !== 'COMPLETED' && state !== 'IN_PROGRESS') return;
      const sync = controlFor(ctx);
      if (event.type === 'items') {
        for (const item of event.items) entry.run?.touched.add(item.id);
        for (const id of event.retracted) entry.run?.touched.add(id);
        const parser = sync.parserOf(entry.info);
        const pubsub = deps.pubsubFor(t.profile)?.client;
        entry.chain = entry.chain
          .then(() =>
            applyItemsEvent({ storage, parse: deps.parse, pubsub, log }, t, event, parser),
          )
          .then(
            () => undefined,
            (error: unknown) => log.warn({ ...t, error }, 'pubsub cache: event not applied'),
          );
      } else if (event.type === 'delete') {
        sync.cancelSync(entry, { state: null, items: 0, reason: 'node deleted' });
        entries.delete(t);
        await storage.request({
          type: 'pubsub.nodes.delete',
          profiles: [t.profile],
          services: [t.service],
          nodes: [t.node],
        });
      } else if (event.type === 'purge') {
        await sync.deleteItems(t);
        if (entry.run !== undefined) await sync.startSync(entry);
      }
    };

    const synchronise = async (m: Msg<'cache.synchronise'>, ctx: Ctx) => {
      const entry = await entries.load(target(m));
      const waiters = m.replyTo === undefined ? [] : [m.replyTo];
      const sync = controlFor(ctx);
      if (entry.run !== undefined) entry.run.waiters.push(...waiters);
      else if (entry.analysing || entry.info === null) sync.startAnalysis(entry, true, m.replyTo);
      else if (!m.resync && entry.info.syncState !== null) {
        for (const w of waiters) ctx.reply(w, { state: entry.info.syncState, items: 0 });
      } else await sync.startSync(entry, waiters);
    };

    const behavior: Behavior<CacheActorMessage> = {
      async receive(m, ctx) {
        try {
          await handle(m, ctx);
        } catch (error) {
          log.error({ type: m.type, error }, 'pubsub cache: message failed');
          const replyTo = (m as { replyTo?: ReplyTo<unknown> }).replyTo;
          if (replyTo !== undefined) ctx.replyError(replyTo, error);
        }
      },
      stopped() {
        for (const entry of entries.filter((e) => e.run !== undefined)) {
          control?.cancelSync(entry, { state: null, items: 0, reason: 'cache stopped' });
        }
      },
    };

    const handle = async (m: CacheActorMessage, ctx: Ctx): Promise<void> => {
      switch (m.type) {
        case 'cache.get-items':
          return getItems(m, ctx);
        case 'cache.event':
          return onEvent(m, ctx);
        case 'cache.synchronise':
          return synchronise(m, ctx);
        case 'cache.get-node':
          ctx.reply(m.replyTo, (await entries.load(target(m))).info);
          return;
        case 'cache.purge': {
          const result = await storage.request({ type: 'pubsub.purge', ...m.filters });
          if (m.replyTo !== undefined) ctx.reply(m.replyTo, result);
          return;
        }
        case 'cache.reset': {
          const profiles = m.profiles;
          for (const entry of entries.filter(
            (e) => profiles === undefined || profiles.includes(e.target.profile),
          )) {
            controlFor(ctx).cancelSync(entry, { state: null, items: 0, reason: 'cache reset' });
          }
          entries.clear(profiles);
          const result = await storage.request({
            type: 'pubsub.reset',
            ...(profiles === undefined ? {} : { profiles }),
          });
          if (m.replyTo !== undefined) ctx.reply(m.replyTo, result);
          return;
        }
        case 'cache.search':
          storage.request({ type: 'pubsub.items.search', ...m.query }).then(
            (hits) => ctx.reply(m.replyTo, hits),
            (error: unknown) => ctx.replyError(m.replyTo, error),
          );
          return;
        case 'cache.reconnected':
          for (const entry of entries.filter(
            (e) => e.target.profile === m.profile && e.info?.syncState === 'COMPLETED',
          )) {
            check(entry, ctx);
          }
          return;
        case 'cache.notify-namespaces':
          ctx.reply(
            m.replyTo,
            notifyNamespaces(
              deps.analysers.list(),
              entries.filter((e) => e.run !== undefined || e.info?.syncState === 'COMPLETED'),
            ),
          );
          return;
        case 'cache.analysed': {
          const entry = await entries.load(target(m));
          return controlFor(ctx).finishAnalysis(entry, m.outcome);
        }
        case 'cache.sync-finished': {
          const entry = entries.peek(target(m));
          if (entry !== undefined) await controlFor(ctx).finishSync(entry, m.runId, m.outcome);
          return;
        }
        case 'cache.check-failed': {
          const entry = entries.peek(target(m));
          if (entry?.info?.syncState !== 'COMPLETED' || entry.run !== undefined) return;
          log.info(
            { ...target(m), reason: m.reason },
            'pubsub cache: node changed; resynchronising',
          );
          return controlFor(ctx).startSync(entry);
        }
        case 'cache.subscribed': {
          const entry = entries.peek(target(m));
          if (entry?.info != null) await controlFor(ctx).record(entry, { subscribed: true });
          return;
        }
      }
    };

    return behavior;
  };
}
