/**
 * The paging of a MAM catch-up (XEP-0313 §4.2 with XEP-0059 RSM), free of any connection so it
 * can be tested with a fake archive.
 *
 * Invariants:
 * - with a checkpoint (the newest archive id already stored), pages go forward from it
 *   (`<after/>`) until the archive says `complete`; the checkpoint advances after each page,
 *   once that page's messages have been handed to storage (`fetchPage` resolves only then), so
 *   an interrupted catch-up resumes where it stopped and never skips a page;
 * - without one (first connection, or the checkpoint expired from the archive), the window is
 *   read backwards from the newest message (`<before/>`, §2.5 "last page") within `windowMs`,
 *   at most `windowMax` messages; the checkpoint is written only once the window is done (the
 *   newest id), so a window cut short is read again next time (history dedupes);
 * - a page that does not move the cursor ends the catch-up (a misbehaving archive cannot spin).
 */
import type { ArchivePage, ArchiveQuery } from './mam-stanzas.js';

/** One page fetched and handled: the `<fin/>` plus how many results were handled. */
export interface FetchedPage extends ArchivePage {
  readonly received: number;
}

export interface CatchUpDeps {
  /** Sends one query and resolves once every result of the page went through the workflow. */
  readonly fetchPage: (query: Omit<ArchiveQuery, 'queryId'>) => Promise<FetchedPage>;
  /** The newest archive id stored for the profile, if any. */
  readonly checkpoint: string | undefined;
  readonly saveCheckpoint: (archiveId: string) => Promise<void>;
  /** First-connection window: how far back (ms) and how many messages at most. */
  readonly windowMs: number;
  readonly windowMax: number;
  readonly pageSize: number;
  /** Now (ms since the epoch), from the injected clock. */
  readonly now: number;
  /** True when a failure means the checkpoint id is unknown to the archive (`item-not-found`). */
  readonly isUnknownId: (error: unknown) => boolean;
}

export interface CatchUpResult {
  /** `forward` from the checkpoint, or `window` (first connection / expired checkpoint). */
  readonly mode: 'forward' | 'window';
  readonly pages: number;
  /** Archived messages handed to the workflow (duplicates included: history drops those). */
  readonly fetched: number;
  /** The checkpoint after the catch-up. */
  readonly checkpoint: string | undefined;
}

/**
 * @example
 * const r = await catchUp({ fetchPage, checkpoint: 'a41', saveCheckpoint, windowMs: 7 * DAY,
 *   windowMax: 1000, pageSize: 100, now: clock.now(), isUnknownId });
 */
export async function catchUp(deps: CatchUpDeps): Promise<CatchUpResult> {
  if (deps.checkpoint !== undefined) {
    try {
      return await forward(deps, deps.checkpoint);
    } catch (error) {
      if (!deps.isUnknownId(error)) throw error;
    }
  }
  return window(deps);
}

async function forward(deps: CatchUpDeps, from: string): Promise<CatchUpResult> {
  let after = from;
  let pages = 0;
  let fetched = 0;
  for (;;) {
    const page = await deps.fetchPage({ max: deps.pageSize, after });
    pages++;
    fetched += page.received;
    if (page.last === undefined || page.last === after) break;
    await deps.saveCheckpoint(page.last);
    after = page.last;
    if (page.complete) break;
  }
  return { mode: 'forward', pages, fetched, checkpoint: after };
}

async function window(deps: CatchUpDeps): Promise<CatchUpResult> {
  const start = deps.now - deps.windowMs;
  let before = '';
  let newest: string | undefined;
  let pages = 0;
  let fetched = 0;
  while (fetched < deps.windowMax) {
    const max = Math.min(deps.pageSize, deps.windowMax - fetched);
    const page = await deps.fetchPage({ start, max, before });
    pages++;
    fetched += page.received;
    newest ??= page.last;
    if (page.complete || page.first === undefined || page.first === before) break;
    before = page.first;
  }
  if (newest !== undefined) await deps.saveCheckpoint(newest);
  return { mode: 'window', pages, fetched, checkpoint: newest ?? deps.checkpoint };
}
