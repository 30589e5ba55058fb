import { describe, expect, it } from 'vitest';
import type { ParseItemResult } from '../parsers/parser-protocol.js';
import { PubsubError } from '../pubsub/index.js';
import type { StorageRequest } from '../storage/messages.js';
import type { CacheParse, CacheStorage } from './cache-deps.js';
import { type NodeSyncJob, PIPELINE_PAGES, syncNode } from './node-sync.js';
import { BLOG, FAKE_PARSER, SERVICE } from './test-fixtures/cache-harness.js';
import { atom, FakePubsubService } from './test-fixtures/fake-pubsub.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
type Upsert = Extract<StorageRequest, { type: 'pubsub.items.upsert' }>;

/** A storage that records upserts and can be held, to see how far fetching runs ahead. */
function recordingStorage() {
  const upserts: Upsert[] = [];
  let release: (() => void) | undefined;
  let held: Promise<void> | undefined;
  const storage: CacheStorage = {
    async request(request) {
      if (request.type === 'pubsub.items.upsert') {
        if (held !== undefined) await held;
        upserts.push(request as Upsert);
      }
      return { upserted: 0 } as never;
    },
  };
  return {
    storage,
    upserts,
    hold() {
      held = new Promise((resolve) => {
        release = resolve;
      });
    },
    release() {
      held = undefined;
      release?.();
    },
  };
}

/** Parses `<title>`; the first task of a sync is the slowest, so later pages finish first. */
function outOfOrderParse(calls: number[]): CacheParse {
  let task = 0;
  return async (_parser, items, options) => {
    calls.push(options.batchSize ?? -1);
    const delay = task++ === 0 ? 40 : 1;
    await new Promise((resolve) => setTimeout(resolve, delay));
    return items.map(
      (xml): ParseItemResult => ({
        ok: true,
        value: { title: /<title>(.*?)<\/title>/.exec(xml)?.[1] ?? null },
      }),
    );
  };
}

function job(overrides: Partial<NodeSyncJob> = {}): NodeSyncJob {
  return {
    profile: 'alice',
    service: SERVICE,
    node: BLOG,
    parser: FAKE_PARSER,
    limit: 5000,
    pageSize: 25,
    startedAt: 1_700_000_000,
    signal: new AbortController().signal,
    skip: () => false,
    ...overrides,
  };
}

describe('pipelined node synchronisation', () => {
  it('stores every page once, in service order, with its parsed values, whatever parse finishes first', async () => {
    const service = new FakePubsubService();
    for (let i = 0; i < 110; i++) service.publish(BLOG, `item-${i}`, atom(i));
    const rec = recordingStorage();
    const parseCalls: number[] = [];
    const result = await syncNode(
      {
        pubsub: service.client(),
        storage: rec.storage,
        parse: outOfOrderParse(parseCalls),
        log: quiet,
      },
      job(),
    );
    expect(result).toEqual({ items: 110, rsm: true, truncated: false });
    // One parser task and one storage request per page.
    expect(parseCalls).toEqual([25, 25, 25, 25, 10]);
    expect(rec.upserts.map((u) => u.items.length)).toEqual([25, 25, 25, 25, 10]);
    const rows = rec.upserts.flatMap((u) => u.items);
    expect(rows.map((r) => r.name)).toEqual(Array.from({ length: 110 }, (_, i) => `item-${i}`));
    expect(rows.map((r) => r.parsed)).toEqual(
      Array.from({ length: 110 }, (_, i) => ({ title: `Post ${i}` })),
    );
    const created = rows.map((r) => r.created ?? 0);
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect(new Set(created).size).toBe(110);
  });

  it('fetches ahead of a slow storage by at most the pipeline depth', async () => {
    const service = new FakePubsubService();
    for (let i = 0; i < 200; i++) service.publish(BLOG, `item-${i}`, atom(i));
    const rec = recordingStorage();
    rec.hold();
    const running = syncNode(
      { pubsub: service.client(), storage: rec.storage, parse: outOfOrderParse([]), log: quiet },
      job({ pageSize: 10 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Held storage: nothing written, and only the pages the pipeline holds were asked for
    // (those waiting to be stored plus the one being fetched).
    expect(rec.upserts).toHaveLength(0);
    expect(service.count('getItems')).toBe(PIPELINE_PAGES + 1);
    rec.release();
    expect((await running).items).toBe(200);
    expect(rec.upserts.flatMap((u) => u.items.map((r) => r.name))).toHaveLength(200);
  });

  it('a failed fetch rejects only after the pages already handed over are written', async () => {
    const service = new FakePubsubService();
    for (let i = 0; i < 100; i++) service.publish(BLOG, `item-${i}`, atom(i));
    service.pageHook = (page, call) => {
      if (call === 3) throw new PubsubError({ condition: 'internal-server-error', node: BLOG });
      return page;
    };
    const rec = recordingStorage();
    rec.hold();
    let settled = false;
    const running = syncNode(
      { pubsub: service.client(), storage: rec.storage, parse: outOfOrderParse([]), log: quiet },
      job({ pageSize: 10 }),
    ).finally(() => {
      settled = true;
    });
    running.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The caller deletes a failed sync's items when it rejects: it must not reject while the
    // two pages it already fetched are still on their way to the storage.
    expect(settled).toBe(false);
    rec.release();
    await expect(running).rejects.toMatchObject({ condition: 'internal-server-error' });
    const writes = rec.upserts.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(writes).toBe(2);
    expect(rec.upserts).toHaveLength(writes);
  });

  it('a failed page stops the fetching and fails the sync', async () => {
    const service = new FakePubsubService();
    for (let i = 0; i < 300; i++) {
      service.publish(BLOG, `item-${i}`, i === 30 ? atom(i, '<summary>BAD</summary>') : atom(i));
    }
    const rec = recordingStorage();
    const parse: CacheParse = async (_p, items) =>
      items.map(
        (xml): ParseItemResult =>
          xml.includes('BAD')
            ? { ok: false, error: { message: 'bad item' } }
            : { ok: true, value: 1 },
      );
    await expect(
      syncNode(
        { pubsub: service.client(), storage: rec.storage, parse, log: quiet },
        job({ pageSize: 10 }),
      ),
    ).rejects.toMatchObject({ code: 'cache.parse-failed' });
    // Pages 0..2 stored; page 3 failed; at most the pipeline's pages were fetched past it.
    expect(rec.upserts).toHaveLength(3);
    expect(service.count('getItems')).toBeLessThanOrEqual(4 + PIPELINE_PAGES);
  });
});
