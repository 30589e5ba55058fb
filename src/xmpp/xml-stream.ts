/**
 * One XML stream over TCP (RFC 6120 §4): socket, STARTTLS upgrade (§5), stream open, restart
 * and close, stream errors (§4.9), and writes that report backpressure. Every incoming chunk
 * goes through the {@link createStreamGuard} pre-parser before the @xmpp/xml parser.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type Element, escapeXML, escapeXMLText, Parser } from '@xmpp/xml';
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { createStreamGuard, type StreamGuard } from './stream-guard.js';
import type { XmppLog } from './xmpp-log.js';

const NS_STREAM = 'http://etherx.jabber.org/streams';
const NS_STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';

/** What the owner of a stream hears about. */
export interface XmlStreamHandlers {
  /** The peer's stream header (after each open or restart). */
  onHeader(header: Element): void;
  /** A top-level element: stanza or nonza. `<stream:error/>` is handled here, not passed on. */
  onElement(element: Element): void;
  /** Socket closed; `error` is undefined only for a close we asked for. */
  onClose(error: AviaryError | undefined): void;
}

export interface XmlStreamOptions {
  readonly host: string;
  readonly port: number;
  /** Local (source) address to connect from, e.g. another 127.0.0.0/8 address past the ephemeral-port limit. */
  readonly localAddress?: string;
  /** Default namespace of the stream: `jabber:client` or `jabber:component:accept`. */
  readonly ns: string;
  readonly clock: Clock;
  readonly connectTimeoutMs: number;
  readonly maxStanzaBytes: number;
  readonly log: XmppLog;
}

/** Parses `<stream:error/>` into an AviaryError carrying the condition and text. */
export function streamErrorFromElement(element: Element): AviaryError<'xmpp.stream-error'> {
  const condition =
    element.getChildElements().find((c) => c.getNS() === NS_STREAM_ERRORS && c.name !== 'text')
      ?.name ?? 'undefined-condition';
  const text = element.getChildText('text', NS_STREAM_ERRORS) ?? '';
  return new AviaryError(
    'xmpp.stream-error',
    `stream error: ${condition}${text ? ` (${text})` : ''}`,
    {
      details: { condition, text },
    },
  );
}

/**
 * @example
 * const stream = await XmlStream.connect(options, handlers);
 * await stream.open('example.org');
 * await stream.send(xml('presence'));
 */
export class XmlStream {
  readonly #options: XmlStreamOptions;
  readonly #handlers: XmlStreamHandlers;
  readonly #guard: StreamGuard;
  #socket: Socket | TLSSocket;
  #decoder = new StringDecoder('utf8');
  #parser: Parser | undefined;
  #closeRequested = false;
  #closed = false;
  #error: AviaryError | undefined;
  #onData = (chunk: Buffer) => this.#receive(chunk);
  #onError = (error: Error) => {
    this.#error ??= new AviaryError('xmpp.connection-failed', `socket error: ${error.message}`, {
      cause: error,
    });
  };
  #onSocketClose = () => this.#finish();

  private constructor(socket: Socket, options: XmlStreamOptions, handlers: XmlStreamHandlers) {
    this.#socket = socket;
    this.#options = options;
    this.#handlers = handlers;
    this.#guard = createStreamGuard({ maxStanzaBytes: options.maxStanzaBytes });
    this.#attach(socket);
  }

  /** Opens the TCP connection; throws `xmpp.connection-failed` on refusal or timeout. */
  static connect(options: XmlStreamOptions, handlers: XmlStreamHandlers): Promise<XmlStream> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({
        host: options.host,
        port: options.port,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      });
      socket.setNoDelay(true);
      const fail = (cause: unknown, text: string) => {
        cancel();
        socket.destroy();
        reject(
          new AviaryError('xmpp.connection-failed', `${options.host}:${options.port}: ${text}`, {
            cause,
            details: { host: options.host, port: options.port },
          }),
        );
      };
      const onError = (error: Error) => fail(error, error.message);
      const cancel = options.clock.setTimeout(
        () => fail(undefined, `no connection after ${options.connectTimeoutMs} ms`),
        options.connectTimeoutMs,
      );
      socket.once('error', onError);
      socket.once('connect', () => {
        cancel();
        socket.off('error', onError);
        resolve(new XmlStream(socket, options, handlers));
      });
    });
  }

  /** True once STARTTLS has completed. */
  get encrypted(): boolean {
    return 'encrypted' in this.#socket && this.#socket.encrypted === true;
  }

  /** Bytes queued in the socket and not yet handed to the kernel. */
  get writableLength(): number {
    return this.#socket.writableLength;
  }

  /** Stops reading the socket (TCP backpressure): no more data is parsed until `resume()`. */
  pause(): void {
    this.#socket.pause();
  }

  /** Reads the socket again after `pause()`. */
  resume(): void {
    this.#socket.resume();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends our stream header and resets the guard and parser (RFC 6120 §4.2, §4.3.3). */
  async open(to: string, extra: Record<string, string> = {}): Promise<void> {
    this.#guard.reset();
    this.#decoder = new StringDecoder('utf8');
    this.#parser?.removeAllListeners();
    const parser = new Parser();
    parser.on('start', (header) => this.#handlers.onHeader(header));
    parser.on('element', (element) => this.#element(element));
    parser.on('end', () => this.#peerClosed());
    parser.on('error', (error) => this.fail('not-well-formed', error.message));
    this.#parser = parser;
    const attrs = Object.entries({ to, version: '1.0', ...extra })
      .map(([k, v]) => ` ${k}='${escapeXML(v)}'`)
      .join('');
    await this.write(
      `<?xml version='1.0'?><stream:stream xmlns='${this.#options.ns}' xmlns:stream='${NS_STREAM}'${attrs}>`,
    );
  }

  /** Serialises and writes one element; resolves once the socket has accepted it. */
  send(element: Element): Promise<void> {
    return this.write(element.toString());
  }

  /** Writes raw text; resolves when written, rejects with `xmpp.not-connected` once closed. */
  write(text: string): Promise<void> {
    if (this.#closed || this.#socket.destroyed)
      return Promise.reject(new AviaryError('xmpp.not-connected', 'the stream is closed'));
    return new Promise((resolve, reject) => {
      this.#socket.write(text, (error) =>
        error
          ? reject(new AviaryError('xmpp.not-connected', error.message, { cause: error }))
          : resolve(),
      );
    });
  }

  /** Resolves when the socket's write buffer is empty (or the stream closed). */
  drain(): Promise<void> {
    if (this.#socket.writableLength === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  /**
   * Upgrades the socket to TLS after `<proceed/>` (RFC 6120 §5.4.3.3), verifying the
   * certificate for `servername` (RFC 7590). Throws `xmpp.tls-failed`.
   */
  async startTls(options: {
    servername: string;
    ca?: string | Buffer | Array<string | Buffer>;
    rejectUnauthorized?: boolean;
  }): Promise<void> {
    const raw = this.#socket;
    this.#detach(raw);
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const socket = tlsConnect({
        socket: raw,
        servername: options.servername,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        rejectUnauthorized: options.rejectUnauthorized ?? true,
      });
      const cancel = this.#options.clock.setTimeout(() => {
        socket.destroy();
        reject(new AviaryError('xmpp.tls-failed', 'TLS handshake timed out'));
      }, this.#options.connectTimeoutMs);
      socket.once('error', (error) => {
        cancel();
        raw.destroy();
        reject(new AviaryError('xmpp.tls-failed', `TLS: ${error.message}`, { cause: error }));
      });
      socket.once('secureConnect', () => {
        cancel();
        socket.removeAllListeners('error');
        resolve(socket);
      });
    });
    this.#socket = secure;
    this.#attach(secure);
  }

  /** Sends a stream error and closes (RFC 6120 §4.9.1.1); the owner hears `onClose(error)`. */
  fail(condition: string, text: string): void {
    if (this.#closed) return;
    const code =
      condition === 'policy-violation' || condition === 'restricted-xml'
        ? 'xmpp.policy-violation'
        : 'xmpp.stream-error';
    this.#error ??= new AviaryError(code, `closing the stream: ${condition} (${text})`, {
      details: { condition, text, sent: true },
    });
    this.#parser?.removeAllListeners();
    this.#parser = undefined;
    if (!this.#socket.destroyed) {
      this.#socket.end(
        `<stream:error><${condition} xmlns='${NS_STREAM_ERRORS}'/><text xmlns='${NS_STREAM_ERRORS}'>${escapeXMLText(text)}</text></stream:error></stream:stream>`,
      );
    }
    this.#options.clock.setTimeout(() => this.#socket.destroy(), 2000);
  }

  /** Closes cleanly: `</stream:stream>`, waits for the peer's close (or `timeoutMs`), ends. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closeRequested = true;
    const closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()));
    this.#socket.write('</stream:stream>');
    const cancel = this.#options.clock.setTimeout(() => this.#socket.destroy(), timeoutMs);
    await closed;
    cancel();
  }

  /** Destroys the socket at once. */
  destroy(error?: AviaryError): void {
    if (error !== undefined) this.#error ??= error;
    else this.#closeRequested = true;
    this.#socket.destroy();
    this.#finish();
  }

  #attach(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onSocketClose);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('error', this.#onError);
    socket.off('close', this.#onSocketClose);
  }

  #receive(chunk: Buffer): void {
    if (this.#parser === undefined) return;
    const violation = this.#guard.scan(chunk);
    if (violation !== undefined) {
      this.#options.log.warn({ ...violation }, 'refusing incoming XML');
      this.fail(violation.condition, violation.text);
      return;
    }
    this.#parser.write(this.#decoder.write(chunk));
  }

  #element(element: Element): void {
    if (element.is('error', NS_STREAM) || element.name === 'stream:error') {
      this.#error ??= streamErrorFromElement(element);
      this.#parser?.removeAllListeners();
      this.#parser = undefined;
      this.#socket.end('</stream:stream>');
      return;
    }
    this.#handlers.onElement(element);
  }

  #peerClosed(): void {
    if (!this.#closeRequested) {
      this.#error ??= new AviaryError('xmpp.connection-failed', 'the server closed the stream');
      this.#socket.end('</stream:stream>');
    } else this.#socket.end();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#parser?.removeAllListeners();
    this.#parser = undefined;
    const error =
      this.#error ??
      (this.#closeRequested
        ? undefined
        : new AviaryError('xmpp.connection-failed', 'connection lost'));
    this.#handlers.onClose(error);
  }
}
