/**
 * One server-sent events endpoint of the control API: it listens to its source from the start
 * (so the replay buffer holds events that happened while no client was connected), fans each
 * event out to the connected clients that asked for its type, and replays what a reconnecting
 * client missed (see `event-replay.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  EventReplayBuffer,
  eventFilter,
  formatEvent,
  type RecordedEvent,
  SSE_RETRY_MS,
} from './event-replay.js';

/** A server-sent events source: `subscribe(send)` returns the unsubscribe function. */
export interface EventStream {
  readonly path: string;
  subscribe(send: (event: string, data: unknown) => void): () => void;
}

interface Client {
  readonly res: ServerResponse;
  readonly wanted: ReadonlySet<string> | undefined;
}

/** A slow reader must not grow memory without bound: past this many unsent bytes it is dropped. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

export class SseEndpoint {
  readonly path: string;
  readonly #buffer: EventReplayBuffer;
  readonly #clients = new Set<Client>();
  readonly #unsubscribe: () => void;

  constructor(stream: EventStream, replayCapacity?: number) {
    this.path = stream.path;
    this.#buffer = new EventReplayBuffer(replayCapacity);
    this.#unsubscribe = stream.subscribe((event, data) => {
      const recorded = this.#buffer.record(event, data);
      for (const client of this.#clients) this.#write(client, recorded);
    });
  }

  /** Serves one client: `retry:`, the replay after `Last-Event-ID`, then live events. */
  open(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(`: aviary event stream\nretry: ${SSE_RETRY_MS}\n\n`);
    const client: Client = { res, wanted: eventFilter(query) };
    const header = req.headers['last-event-id'];
    const lastEventId = (Array.isArray(header) ? header[0] : header) ?? query.get('lastEventId');
    for (const recorded of this.#buffer.since(lastEventId ?? undefined))
      this.#write(client, recorded);
    this.#clients.add(client);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      this.#clients.delete(client);
    });
  }

  /** Ends every client and stops listening to the source. */
  close(): void {
    this.#unsubscribe();
    for (const client of this.#clients) client.res.end();
    this.#clients.clear();
  }

  #write(client: Client, recorded: RecordedEvent): void {
    if (client.wanted !== undefined && !client.wanted.has(recorded.event)) return;
    if (client.res.writableLength > MAX_UNSENT_BYTES) {
      client.res.destroy();
      return;
    }
    client.res.write(formatEvent(recorded));
  }
}
