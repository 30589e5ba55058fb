/**
 * Starting and finishing node analyses and synchronisations for the cache actor. Background
 * work (IQs, parsing, storing pages) runs as promises; its results come back to the actor as
 * messages, so node state only changes in the actor's turn. Libervia's `cache_node` /
 * `analyse_node` behaviour, with one sync per node at a time.
 */
import type { ReplyTo } from '../actors/types.js';
import { serializeError } from '../errors.js';
import type { ParserRef } from '../parsers/parser-protocol.js';
import type { Json, PubsubNodeInfo, StorageRequest, SyncState } from '../storage/messages.js';
import type { CacheConfig, PubsubCacheDeps } from './cache-deps.js';
import type {
  AnalysisOutcome,
  CacheActorMessage,
  NodeTarget,
  SyncOutcome,
} from './cache-messages.js';
import { analyseNode } from './node-analysis.js';
import type { NodeEntry } from './node-entries.js';
import { syncNode } from './node-sync.js';

type NodeSet = Extract<StorageRequest, { type: 'pubsub.node.set' }>;
type NodeFields = Omit<NodeSet, 'type' | 'profile' | 'service' | 'node'>;

export interface SyncControl {
  record(entry: NodeEntry, fields: NodeFields): Promise<PubsubNodeInfo>;
  deleteItems(target: NodeTarget): Promise<void>;
  startAnalysis(entry: NodeEntry, force: boolean, waiter?: ReplyTo<SyncOutcome>): void;
  finishAnalysis(entry: NodeEntry, outcome: AnalysisOutcome): Promise<void>;
  startSync(entry: NodeEntry, waiters?: readonly ReplyTo<SyncOutcome>[]): Promise<void>;
  /** Cancels a running sync and answers its waiters with `outcome`. */
  cancelSync(entry: NodeEntry, outcome: SyncOutcome): void;
  finishSync(
    entry: NodeEntry,
    runId: number,
    outcome: Extract<CacheActorMessage, { type: 'cache.sync-finished' }>['outcome'],
  ): Promise<void>;
  parserOf(info: PubsubNodeInfo | null): ParserRef | undefined;
}

function extraObject(info: PubsubNodeInfo | null): Record<string, Json> {
  const extra = info?.extra;
  return typeof extra === 'object' && extra !== null && !Array.isArray(extra)
    ? { ...(extra as Record<string, Json>) }
    : {};
}

/** Builds the control over the actor's deps; `tell` sends to the actor itself. */
export function createSyncControl(
  deps: PubsubCacheDeps,
  config: CacheConfig,
  tell: (message: CacheActorMessage) => void,
  reply: <T>(to: ReplyTo<T>, value: T) => void,
): SyncControl {
  let runs = 0;
  const { storage, log } = deps;
  const where = (t: NodeTarget) => ({ profile: t.profile, service: t.service, node: t.node });

  const control: SyncControl = {
    async record(entry, fields) {
      entry.info = await storage.request({
        type: 'pubsub.node.set',
        ...where(entry.target),
        ...fields,
      });
      return entry.info;
    },

    async deleteItems(target) {
      await storage.request({
        type: 'pubsub.purge',
        profiles: [target.profile],
        services: [target.service],
        nodes: [target.node],
      });
    },

    startAnalysis(entry, force, waiter) {
      if (waiter !== undefined) entry.analysisWaiters.push(waiter);
      entry.forceSync ||= force;
      if (entry.analysing) return;
      const access = deps.pubsubFor(entry.target.profile);
      if (access === undefined) {
        for (const w of entry.analysisWaiters.splice(0)) {
          reply(w, { state: null, items: 0, reason: 'profile offline' });
        }
        entry.forceSync = false;
        return;
      }
      entry.analysing = true;
      const target = entry.target;
      void analyseNode({ pubsub: access.client, analysers: deps.analysers, log }, target).then(
        (outcome) => tell({ type: 'cache.analysed', ...target, outcome }),
      );
    },

    async finishAnalysis(entry, outcome) {
      entry.analysing = false;
      const force = entry.forceSync;
      entry.forceSync = false;
      const waiters = entry.analysisWaiters.splice(0);
      const target = entry.target;
      if (outcome.kind === 'absent') {
        for (const w of waiters) reply(w, { state: null, items: 0, reason: 'node not found' });
        return;
      }
      let toSync = force;
      let fields: NodeFields;
      if (outcome.kind === 'matched') {
        toSync ||= outcome.toSync;
        fields = {
          analyser: outcome.analyser,
          nodeType: outcome.nodeType,
          subtype: outcome.subtype,
          extra: { rootNamespace: outcome.rootNamespace, maxItems: outcome.maxItems },
        };
      } else if (outcome.kind === 'unmatched') {
        fields = { analyser: null, extra: { rootNamespace: outcome.rootNamespace } };
      } else {
        log.warn({ ...target, reason: outcome.reason }, 'pubsub cache: node analysis failed');
        fields = { analyser: null, extra: { analysisError: outcome.reason } };
      }
      await control.record(entry, { ...fields, syncState: toSync ? null : 'NO_SYNC' });
      if (toSync) await control.startSync(entry, waiters);
      else for (const w of waiters) reply(w, { state: 'NO_SYNC', items: 0 });
    },

    async startSync(entry, waiters = []) {
      const previous = entry.run;
      previous?.abort.abort();
      const target = entry.target;
      const access = deps.pubsubFor(target.profile);
      const allWaiters = [...(previous?.waiters ?? []), ...waiters];
      if (access === undefined) {
        entry.run = undefined;
        for (const w of allWaiters) reply(w, { state: null, items: 0, reason: 'profile offline' });
        return;
      }
      const run = {
        id: ++runs,
        abort: new AbortController(),
        startedAt: deps.clock.now(),
        waiters: allWaiters,
        touched: new Set<string>(),
      };
      entry.run = run;
      entry.verified = true;
      // Drop what a previous or interrupted sync left; events from now on mark `touched`.
      await control.record(entry, { syncState: 'IN_PROGRESS' });
      await control.deleteItems(target);
      const parser = control.parserOf(entry.info);
      void (async () => {
        // Subscribing runs beside the first pages; a refusal is only logged.
        const subscribed = subscribe(access.client, access.jid, entry, run.abort.signal);
        const result = await syncNode(
          { pubsub: access.client, storage, parse: deps.parse, log },
          {
            ...target,
            parser,
            limit: config.limit,
            pageSize: config.pageSize,
            pageBytes: config.pageBytes,
            startedAt: run.startedAt / 1000,
            signal: run.abort.signal,
            skip: (id) => run.touched.has(id),
            onProgress: (items, total) =>
              deps.emit({ type: 'cacheSyncProgress', ...target, items, total }),
          },
        );
        await subscribed;
        return result;
      })().then(
        (result) =>
          tell({
            type: 'cache.sync-finished',
            ...target,
            runId: run.id,
            outcome: { ok: true, items: result.items },
          }),
        (error: unknown) =>
          tell({
            type: 'cache.sync-finished',
            ...target,
            runId: run.id,
            outcome: { ok: false, error: serializeError(error) },
          }),
      );
    },

    cancelSync(entry, outcome) {
      const run = entry.run;
      if (run === undefined) return;
      run.abort.abort();
      entry.run = undefined;
      for (const w of run.waiters) reply(w, outcome);
    },

    async finishSync(entry, runId, outcome) {
      const run = entry.run;
      if (run === undefined || run.id !== runId) return; // cancelled or replaced
      entry.run = undefined;
      const target = entry.target;
      let result: SyncOutcome;
      if (outcome.ok) {
        await control.record(entry, { syncState: 'COMPLETED' });
        log.info({ ...target, items: outcome.items }, 'pubsub cache: node synchronised');
        deps.emit({ type: 'cacheSynced', ...target, items: outcome.items });
        result = { state: 'COMPLETED', items: outcome.items };
      } else {
        const reason = `${outcome.error.code}: ${outcome.error.message}`;
        log.error({ ...target, error: outcome.error }, 'pubsub cache: synchronisation failed');
        await control.deleteItems(target);
        const state: SyncState = 'ERROR';
        await control.record(entry, {
          syncState: state,
          extra: { ...extraObject(entry.info), syncError: reason },
        });
        deps.emit({ type: 'cacheSyncFailed', ...target, reason });
        result = { state, items: 0, reason };
      }
      for (const w of run.waiters) reply(w, result);
    },

    parserOf(info) {
      if (info?.analyser == null) return undefined;
      return deps.analysers.get(info.analyser)?.parser;
    },
  };

  /** Subscribes (XEP-0060 §6.1); a refusal only means events may not arrive, so it is logged. */
  async function subscribe(
    client: NonNullable<ReturnType<PubsubCacheDeps['pubsubFor']>>['client'],
    jid: string,
    entry: NodeEntry,
    signal: AbortSignal,
  ): Promise<void> {
    const target = entry.target;
    try {
      const sub = await client.subscribe(target.service, target.node, jid);
      if (sub.state !== 'subscribed') {
        log.warn(
          { ...target, state: sub.state },
          'pubsub cache: subscription not active; the node may not stay in sync',
        );
      } else if (!signal.aborted) {
        tell({ type: 'cache.subscribed', ...target });
      }
    } catch (error) {
      // PEP services often refuse: notifications then follow presence and +notify (XEP-0163).
      log.warn(
        { ...target, error: error instanceof Error ? error.message : String(error) },
        'pubsub cache: subscription failed; the node may not stay in sync',
      );
    }
  }

  return control;
}
