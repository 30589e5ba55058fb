/**
 * The incoming half of an XML stream: bytes in, stream events out, and it never throws.
 * Each chunk goes through the {@link createStreamGuard} pre-parser, then a strict UTF-8 decoder
 * ({@link Utf8StreamDecoder}), then the @xmpp/xml (ltx) parser. Whatever is malformed — refused by the guard, invalid UTF-8
 * (RFC 6120 §11.6), or anything the parser throws on or reports (a mismatched end tag) — stops
 * the reader and is reported once through `refuse` with the RFC 6120 §4.9.3 condition.
 */
import { type Element, Parser } from '@xmpp/xml';
import type { OversizeStanza } from './oversize-stanza.js';
import { createStreamGuard, type StreamGuardOptions } from './stream-guard.js';
import { Utf8StreamDecoder } from './utf8-stream-decoder.js';

/** What a reader reports, in stream order. */
export interface XmlReaderEvents {
  /** The peer's stream header. */
  header(header: Element): void;
  /** A complete top-level element. */
  element(element: Element): void;
  /** The peer's `</stream:stream>`; the reader has stopped. */
  end(): void;
  /** A stanza over `maxStanzaBytes` or `maxDepth` was skipped whole; reading goes on. */
  oversize(stanza: OversizeStanza): void;
  /** Malformed input; the reader has stopped. */
  refuse(condition: string, text: string): void;
}

/**
 * @example
 * const reader = createXmlReader({ maxStanzaBytes: 1 << 20 }, events);
 * reader.start(); // at each stream open or restart
 * socket.on('data', (chunk) => reader.push(chunk));
 */
export interface XmlReader {
  /** Starts a new stream (RFC 6120 §4.3.3 restart): fresh guard, decoder and parser. */
  start(): void;
  /** Reads one chunk; ignored while stopped. */
  push(chunk: Uint8Array): void;
  /** Stops for good (until `start()`); a parser still inside `write()` goes quiet. */
  stop(): void;
  readonly active: boolean;
}

export function createXmlReader(options: StreamGuardOptions, events: XmlReaderEvents): XmlReader {
  const guard = createStreamGuard(options);
  const decoder = new Utf8StreamDecoder();
  let parser: Parser | undefined;

  const stop = () => {
    const current = parser;
    if (current === undefined) return;
    parser = undefined;
    current.removeAllListeners();
    current.on('error', () => {});
  };
  const refuse = (condition: string, text: string) => {
    if (parser === undefined) return;
    stop();
    events.refuse(condition, text);
  };
  const write = (current: Parser, text: string) => {
    try {
      current.write(text);
    } catch (error) {
      refuse('not-well-formed', error instanceof Error ? error.message : String(error));
    }
  };
  const parse = (bytes: Uint8Array) => {
    const current = parser;
    if (current === undefined) return;
    const text = decoder.decode(bytes);
    if (text === undefined) {
      // Keep the stanzas before the bad byte (one slice may hold several), then refuse.
      write(current, decoder.validPrefix);
      refuse('unsupported-encoding', 'the stream is not valid UTF-8');
      return;
    }
    write(current, text);
  };

  const functions: Omit<XmlReader, 'active'> = {
    start() {
      stop();
      guard.reset();
      decoder.reset();
      const next = new Parser();
      next.on('start', (header) => events.header(header));
      next.on('element', (element) => events.element(element));
      next.on('end', () => {
        stop();
        events.end();
      });
      next.on('error', (error) => refuse('not-well-formed', error.message));
      parser = next;
    },
    push(chunk) {
      if (parser === undefined) return;
      for (const event of guard.scan(chunk)) {
        if (parser === undefined) return;
        if (event.type === 'bytes') parse(event.bytes);
        else if (event.type === 'oversize') events.oversize(event.stanza);
        else refuse(event.violation.condition, event.violation.text);
      }
    },
    stop,
  };
  return new ReaderObject(functions, () => parser !== undefined);
}

/**
 * The reader's functions behind a class getter for `active`: an object literal with an
 * accessor is slow to create (V8 builds it property by property), and every connection builds
 * a reader.
 */
class ReaderObject implements XmlReader {
  readonly start: XmlReader['start'];
  readonly push: XmlReader['push'];
  readonly stop: XmlReader['stop'];
  readonly #active: () => boolean;

  constructor(functions: Omit<XmlReader, 'active'>, active: () => boolean) {
    this.start = functions.start;
    this.push = functions.push;
    this.stop = functions.stop;
    this.#active = active;
  }

  get active(): boolean {
    return this.#active();
  }
}
