import { describe, expect, it } from 'vitest';
import { type CatchUpDeps, catchUp, type FetchedPage } from './archive-pager.js';
import type { ArchiveQuery } from './mam-stanzas.js';

const DAY = 86_400_000;

/** An in-process archive with XEP-0059 semantics over ids `A0`, `A1`... one per `stepMs`. */
function fakeArchive(size: number, opts: { now: number; stepMs: number; maxPage?: number }) {
  const items = Array.from({ length: size }, (_, i) => ({
    id: `A${i}`,
    at: opts.now - (size - i) * opts.stepMs,
  }));
  const handled: string[] = [];
  const queries: Omit<ArchiveQuery, 'queryId'>[] = [];
  const fetchPage = async (q: Omit<ArchiveQuery, 'queryId'>): Promise<FetchedPage> => {
    queries.push(q);
    let pool = items.filter((m) => q.start === undefined || m.at >= q.start);
    const max = Math.min(q.max, opts.maxPage ?? Number.POSITIVE_INFINITY);
    let page: typeof items;
    let complete: boolean;
    if (q.before !== undefined) {
      if (q.before !== '') {
        const at = pool.findIndex((m) => m.id === q.before);
        if (at < 0) throw Object.assign(new Error('item-not-found'), { unknown: true });
        pool = pool.slice(0, at);
      }
      page = pool.slice(Math.max(0, pool.length - max));
      complete = page.length === pool.length;
    } else {
      if (q.after !== undefined) {
        const at = pool.findIndex((m) => m.id === q.after);
        if (at < 0) throw Object.assign(new Error('item-not-found'), { unknown: true });
        pool = pool.slice(at + 1);
      }
      page = pool.slice(0, max);
      complete = page.length === pool.length;
    }
    handled.push(...page.map((m) => m.id));
    return {
      complete,
      first: page[0]?.id,
      last: page.at(-1)?.id,
      count: undefined,
      received: page.length,
    };
  };
  return { items, handled, queries, fetchPage };
}

function deps(
  archive: ReturnType<typeof fakeArchive>,
  over: Partial<CatchUpDeps>,
  saved: string[],
): CatchUpDeps {
  return {
    fetchPage: archive.fetchPage,
    checkpoint: undefined,
    saveCheckpoint: async (id) => {
      saved.push(id);
    },
    windowMs: 7 * DAY,
    windowMax: 1000,
    pageSize: 10,
    now: 100 * DAY,
    isUnknownId: (e) => (e as { unknown?: boolean }).unknown === true,
    ...over,
  };
}

describe('catchUp forward from a checkpoint', () => {
  it('reads every page after the checkpoint and advances it page by page', async () => {
    const archive = fakeArchive(35, { now: 100 * DAY, stepMs: 1000 });
    const saved: string[] = [];
    const r = await catchUp(deps(archive, { checkpoint: 'A4' }, saved));
    expect(archive.handled).toEqual(archive.items.slice(5).map((m) => m.id));
    expect(saved).toEqual(['A14', 'A24', 'A34']);
    expect(r).toEqual({ mode: 'forward', pages: 3, fetched: 30, checkpoint: 'A34' });
  });

  it('stops on an empty page (nothing new) without moving the checkpoint', async () => {
    const archive = fakeArchive(5, { now: 100 * DAY, stepMs: 1000 });
    const saved: string[] = [];
    const r = await catchUp(deps(archive, { checkpoint: 'A4' }, saved));
    expect(r).toEqual({ mode: 'forward', pages: 1, fetched: 0, checkpoint: 'A4' });
    expect(saved).toEqual([]);
  });

  it('follows the server page size when it caps max below ours', async () => {
    const archive = fakeArchive(12, { now: 100 * DAY, stepMs: 1000, maxPage: 3 });
    const saved: string[] = [];
    const r = await catchUp(deps(archive, { checkpoint: 'A0' }, saved));
    expect(archive.handled).toHaveLength(11);
    expect(r.pages).toBe(4);
    expect(saved.at(-1)).toBe('A11');
  });

  it('falls back to the window when the archive no longer knows the checkpoint', async () => {
    const archive = fakeArchive(8, { now: 100 * DAY, stepMs: 1000 });
    const saved: string[] = [];
    const r = await catchUp(deps(archive, { checkpoint: 'EXPIRED' }, saved));
    expect(r.mode).toBe('window');
    expect(new Set(archive.handled)).toEqual(new Set(archive.items.map((m) => m.id)));
    expect(saved).toEqual(['A7']);
  });

  it('lets other failures through (retried on the next connection)', async () => {
    const saved: string[] = [];
    const failing = {
      ...fakeArchive(3, { now: 0, stepMs: 1 }),
      fetchPage: async () => {
        throw new Error('timeout');
      },
    };
    await expect(catchUp(deps(failing, { checkpoint: 'A0' }, saved))).rejects.toThrow('timeout');
    expect(saved).toEqual([]);
  });
});

describe('catchUp window (first connection)', () => {
  it('reads at most windowMax of the newest messages, newest page first, then saves the newest id', async () => {
    const archive = fakeArchive(50, { now: 100 * DAY, stepMs: 1000 });
    const saved: string[] = [];
    const r = await catchUp(deps(archive, { windowMax: 25 }, saved));
    expect(archive.handled).toEqual([
      ...archive.items.slice(40, 50).map((m) => m.id),
      ...archive.items.slice(30, 40).map((m) => m.id),
      ...archive.items.slice(25, 30).map((m) => m.id),
    ]);
    expect(archive.queries.map((q) => q.max)).toEqual([10, 10, 5]);
    expect(saved).toEqual(['A49']);
    expect(r).toEqual({ mode: 'window', pages: 3, fetched: 25, checkpoint: 'A49' });
  });

  it('reads nothing older than windowMs', async () => {
    // One message per day for 20 days: a 7-day window holds the last 7.
    const archive = fakeArchive(20, { now: 100 * DAY, stepMs: DAY });
    const saved: string[] = [];
    const r = await catchUp(deps(archive, {}, saved));
    expect(archive.queries[0]?.start).toBe(93 * DAY);
    expect(archive.handled.sort()).toEqual(['A13', 'A14', 'A15', 'A16', 'A17', 'A18', 'A19']);
    expect(r.fetched).toBe(7);
  });

  it('saves no checkpoint when the archive is empty', async () => {
    const archive = fakeArchive(0, { now: 100 * DAY, stepMs: 1000 });
    const saved: string[] = [];
    const r = await catchUp(deps(archive, {}, saved));
    expect(r).toEqual({ mode: 'window', pages: 1, fetched: 0, checkpoint: undefined });
    expect(saved).toEqual([]);
  });
});
