import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { ControlServer } from './control-server.js';

const token = 'c'.repeat(64);
const auth = { authorization: `Bearer ${token}` };
let server: ControlServer | undefined;
const aborts: AbortController[] = [];

afterEach(async () => {
  for (const controller of aborts.splice(0)) controller.abort();
  await server?.close();
  server = undefined;
});

async function start(replayCapacity = 3) {
  const listeners = new Set<(e: string, d: unknown) => void>();
  server = new ControlServer({
    token,
    replayCapacity,
    log: createLogger({ level: 'silent' }),
    routes: [],
    streams: [
      {
        path: '/events',
        subscribe(send) {
          listeners.add(send);
          return () => listeners.delete(send);
        },
      },
    ],
  });
  const url = await server.listen('127.0.0.1', 0);
  const publish = (event: string, data: unknown) => {
    for (const listener of listeners) listener(event, data);
  };
  return { url, publish };
}

interface Received {
  readonly id?: string;
  readonly event?: string;
  readonly data?: unknown;
  readonly retry?: number;
}

/** Opens the stream and parses its blocks; `next(n)` resolves once n event blocks arrived. */
async function open(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  aborts.push(controller);
  const response = await fetch(url, {
    headers: { ...auth, ...headers },
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const blocks: Received[] = [];
  let retry: number | undefined;
  const pump = async (): Promise<void> => {
    const { value } = await reader.read();
    text += decoder.decode(value);
    let end = text.indexOf('\n\n');
    while (end >= 0) {
      const block: Record<string, unknown> = {};
      for (const line of text.slice(0, end).split('\n')) {
        const [field, ...rest] = line.split(': ');
        const value = rest.join(': ');
        if (field === 'retry') retry = Number(value);
        if (field === 'id' || field === 'event') block[field] = value;
        if (field === 'data') block.data = JSON.parse(value);
      }
      if (block.event !== undefined) blocks.push(block as Received);
      text = text.slice(end + 2);
      end = text.indexOf('\n\n');
    }
  };
  return {
    status: response.status,
    retry: () => retry,
    async next(count: number): Promise<Received[]> {
      while (blocks.length < count) await pump();
      return blocks.splice(0, count);
    },
    /** Reads until the opening block (comment and retry) has arrived. */
    async opened(): Promise<void> {
      while (retry === undefined) await pump();
    },
  };
}

describe('server-sent events', () => {
  it('tags every event with an id and tells the client how long to wait before reconnecting', async () => {
    const { url, publish } = await start();
    const stream = await open(`${url}/events`);
    await stream.opened();
    expect(stream.retry()).toBeGreaterThan(0);
    publish('a', { n: 1 });
    publish('b', { n: 2 });
    const [first, second] = await stream.next(2);
    expect(first?.id).toMatch(/^[0-9a-f]+\.1$/);
    expect(second?.id).toMatch(/^[0-9a-f]+\.2$/);
    expect(second).toMatchObject({ event: 'b', data: { n: 2 } });
  });

  it('replays what a client missed after Last-Event-ID, including events sent with no client connected', async () => {
    const { url, publish } = await start(10);
    publish('a', { n: 1 });
    publish('a', { n: 2 });
    publish('a', { n: 3 });
    const first = await open(`${url}/events?lastEventId=none`);
    const all = await first.next(3);
    expect(all.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const again = await open(`${url}/events`, { 'last-event-id': all[0]?.id ?? '' });
    const missed = await again.next(2);
    expect(missed.map((e) => e.data)).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it('keeps a bounded buffer: an id older than the buffer replays only what is still kept', async () => {
    const { url, publish } = await start(3);
    const live = await open(`${url}/events`);
    await live.opened();
    for (let n = 1; n <= 6; n += 1) publish('a', { n });
    const seen = await live.next(6);
    const late = await open(`${url}/events`, { 'last-event-id': seen[0]?.id ?? '' });
    publish('end', {});
    const replayed = await late.next(4);
    expect(replayed.map((e) => e.data)).toEqual([{ n: 4 }, { n: 5 }, { n: 6 }, {}]);
  });

  it('sends only the event types named by ?events=, live and in the replay', async () => {
    const { url, publish } = await start(10);
    publish('connectionState', { n: 1 });
    publish('messageNew', { n: 2 });
    const filtered = await open(`${url}/events?events=connectionState,runtimeError`, {
      'last-event-id': 'foreign.0',
    });
    publish('messageNew', { n: 3 });
    publish('runtimeError', { n: 4 });
    const received = await filtered.next(2);
    expect(received.map((e) => [e.event, e.data])).toEqual([
      ['connectionState', { n: 1 }],
      ['runtimeError', { n: 4 }],
    ]);
  });
});
