/**
 * Server-sent events with replay (HTML Living Standard §9.2, "Server-sent events"): every event
 * gets an `id:`, the stream opens with a `retry:` hint, and a client that reconnects with a
 * `Last-Event-ID` header receives the events it missed, as long as they are still in a bounded
 * buffer. A client can ask for some event types only (`?events=connectionState,runtimeError`).
 *
 * Ids are `BOOT.SEQ`: BOOT names this server's life, SEQ counts from 1. An id from another life
 * (the runtime restarted) or older than the buffer replays the whole buffer, so a reconnecting
 * client gets at least what is still known, never a silent gap inside the buffer.
 */
import { randomBytes } from 'node:crypto';

/** One recorded event. */
export interface RecordedEvent {
  readonly id: string;
  readonly seq: number;
  readonly event: string;
  readonly data: unknown;
}

/** Reconnection delay a client is told to wait, in milliseconds. */
export const SSE_RETRY_MS = 3000;

/** Formats one event as its `id:`/`event:`/`data:` lines. */
export function formatEvent(recorded: RecordedEvent): string {
  return `id: ${recorded.id}\nevent: ${recorded.event}\ndata: ${JSON.stringify(recorded.data)}\n\n`;
}

/** The event types a `?events=a,b` query asks for; undefined when it asks for every type. */
export function eventFilter(query: URLSearchParams): ReadonlySet<string> | undefined {
  const asked = query
    .getAll('events')
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return asked.length === 0 ? undefined : new Set(asked);
}

/** A bounded, ordered record of the last events, oldest first. */
export class EventReplayBuffer {
  readonly #boot = randomBytes(4).toString('hex');
  readonly #capacity: number;
  readonly #events: RecordedEvent[] = [];
  #seq = 0;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  /** Records an event, dropping the oldest beyond capacity; returns it with its id. */
  record(event: string, data: unknown): RecordedEvent {
    this.#seq += 1;
    const recorded: RecordedEvent = {
      id: `${this.#boot}.${this.#seq}`,
      seq: this.#seq,
      event,
      data,
    };
    this.#events.push(recorded);
    if (this.#events.length > this.#capacity) this.#events.shift();
    return recorded;
  }

  /** The buffered events after `lastEventId` (all of them for an unknown or foreign id). */
  since(lastEventId: string | undefined): RecordedEvent[] {
    if (lastEventId === undefined || lastEventId === '') return [];
    const [boot, seqText] = lastEventId.split('.');
    const seq = Number(seqText);
    if (boot !== this.#boot || !Number.isSafeInteger(seq)) return [...this.#events];
    return this.#events.filter((recorded) => recorded.seq > seq);
  }
}
