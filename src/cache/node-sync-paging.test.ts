import { afterEach, describe, expect, it } from 'vitest';
import { AviaryError } from '../errors.js';
import { BLOG, cacheHarness } from './test-fixtures/cache-harness.js';
import { atom } from './test-fixtures/fake-pubsub.js';

type Harness = Awaited<ReturnType<typeof cacheHarness>>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** About 3 KB per post, like a real microblog entry with content. */
const post = (i: number) => atom(i, `<content>${'x'.repeat(3000)}</content>`);
const STANZA_LIMIT = 256 * 1024;

/**
 * A stream that cannot carry a reply over the stanza limit: the reply is skipped, so the
 * request times out, as an oversize stanza from the server does.
 */
function limitReplies(harness: Harness): { largest: number; lost: number } {
  const seen = { largest: 0, lost: 0 };
  harness.service.pageHook = (page) => {
    const bytes = page.items.reduce((sum, item) => sum + item.xml.length, 0);
    if (bytes > STANZA_LIMIT) {
      seen.lost++;
      throw new AviaryError(
        'xmpp.stanza-too-large',
        `reply of ${bytes} bytes exceeds the stanza limit`,
      );
    }
    seen.largest = Math.max(seen.largest, bytes);
    return page;
  };
  return seen;
}

describe('pubsub pages sized to fit a stanza', () => {
  it('synchronises a 500-post microblog node with the default page size of 1,000 items', async () => {
    h = await cacheHarness({ config: { pageSize: 1000, pageBytes: STANZA_LIMIT / 2 } });
    const replies = limitReplies(h);
    for (let i = 0; i < 500; i++) h.service.publish(BLOG, `item-${i}`, post(i));
    const outcome = await h.cache.synchronise(h.target(BLOG));
    expect(outcome).toEqual({ state: 'COMPLETED', items: 500 });
    expect((await h.cached(BLOG)).length).toBe(500);
    expect(replies.lost).toBe(0); // sized right from the first page: no reply was too large
  });

  it('asks a smaller page again when a reply does not come, then goes on', async () => {
    // A budget too optimistic for these items: the first pages are too large for the stream.
    h = await cacheHarness({ config: { pageSize: 1000, pageBytes: 4 * STANZA_LIMIT } });
    const replies = limitReplies(h);
    for (let i = 0; i < 300; i++) h.service.publish(BLOG, `item-${i}`, post(i));
    const outcome = await h.cache.synchronise(h.target(BLOG));
    expect(outcome).toEqual({ state: 'COMPLETED', items: 300 });
    expect((await h.cached(BLOG)).map((i) => i.name)).toEqual(
      Array.from({ length: 300 }, (_, i) => `item-${i}`),
    );
    expect(replies.lost).toBeGreaterThan(0);
    expect(replies.largest).toBeLessThanOrEqual(STANZA_LIMIT);
  });

  it('gives up with the error when even the smallest page does not come back', async () => {
    h = await cacheHarness({ config: { pageSize: 1000 } });
    h.service.pageHook = () => {
      throw new AviaryError('xmpp.timeout', 'no reply');
    };
    h.service.publish(BLOG, 'item-0', post(0));
    const outcome = await h.cache.synchronise(h.target(BLOG));
    expect(outcome.state).toBe('ERROR');
  });
});
