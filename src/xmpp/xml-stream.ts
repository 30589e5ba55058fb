/**
 * One XML stream over TCP (RFC 6120 §4): socket, STARTTLS upgrade (§5), stream open, restart
 * and close, stream errors (§4.9), writes that report backpressure and reads that can be
 * paused. Incoming bytes go through an {@link XmlReader} (guard, strict UTF-8, parser).
 *
 * Invariant: nothing the peer sends can throw out of a socket event handler. Malformed input
 * ends this stream with the matching stream error sent to the peer (RFC 6120 §4.9.3:
 * `not-well-formed`, `restricted-xml`, `unsupported-encoding`, `policy-violation`) and is
 * reported once through `onClose(error)` with a typed {@link AviaryError}, so the owner
 * reconnects; an exception from the owner's own handler ends the stream the same way
 * (`undefined-condition`).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type Element, escapeXML } from '@xmpp/xml';
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { type OversizeStanza, oversizeReply } from './oversize-stanza.js';
import {
  type StreamErrorCondition,
  streamErrorFromElement,
  streamErrorXml,
  streamFailure,
} from './stream-errors.js';
import { secureContextFor } from './tls-contexts.js';
import {
  rememberSessions,
  resumptionOption,
  type TlsUpgradeOptions,
  upgradeToTls,
} from './tls-upgrade.js';
import { createXmlReader, type XmlReader } from './xml-reader.js';
import type { XmppLog } from './xmpp-log.js';

export { type StreamErrorCondition, streamErrorFromElement } from './stream-errors.js';

const NS_STREAM = 'http://etherx.jabber.org/streams';

function uncork(socket: Socket): void {
  socket.uncork();
}

/** What the owner of a stream hears about. */
export interface XmlStreamHandlers {
  /** The peer's stream header (after each open or restart). */
  onHeader(header: Element): void;
  /** A top-level element: stanza or nonza. `<stream:error/>` is handled here, not passed on. */
  onElement(element: Element): void;
  /** Socket closed; `error` is undefined only for a close we asked for. */
  onClose(error: AviaryError | undefined): void;
  /**
   * A stanza larger than `maxStanzaBytes` (or nested deeper than `maxDepth`) was skipped; the
   * stream stays open. Without this handler the stream answers an IQ get/set itself with a
   * `policy-violation` error ({@link oversizeReply}) and drops a message or presence.
   */
  onOversize?(stanza: OversizeStanza): void;
}

export interface XmlStreamOptions {
  readonly host: string;
  readonly port: number;
  /** Local (source) address to connect from, e.g. another 127.0.0.0/8 address past the ephemeral-port limit. */
  readonly localAddress?: string;
  /**
   * TLS from the first byte (XEP-0368 direct TLS): ALPN `xmpp-client`, SNI and certificate
   * check for `servername` (the XMPP domain, not the host connected to).
   */
  readonly directTls?: TlsUpgradeOptions;
  /** Default namespace of the stream: `jabber:client` or `jabber:component:accept`. */
  readonly ns: string;
  readonly clock: Clock;
  readonly connectTimeoutMs: number;
  readonly maxStanzaBytes: number;
  /** Largest stanza skipped without closing the stream (default 4 × maxStanzaBytes). */
  readonly hardLimitBytes?: number;
  /** Deepest element nesting inside a stanza; deeper ones are skipped (default 256). */
  readonly maxDepth?: number;
  readonly log: XmppLog;
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
  readonly #reader: XmlReader;
  #socket: Socket | TLSSocket;
  #closeRequested = false;
  #closed = false;
  #failing = false;
  #paused = false;
  #upgrading = false;
  #error: AviaryError | undefined;
  #onData = (chunk: Buffer) => {
    try {
      this.#reader.push(chunk);
    } catch (error) {
      // The reader and #deliver catch everything they call; this is the last line that keeps
      // an exception from reaching the event loop.
      this.#error ??= streamFailure(
        'undefined-condition',
        `internal error: ${String(error)}`,
        error,
      );
      this.fail('undefined-condition', 'internal error while reading the stream');
    }
  };
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
    this.#reader = createXmlReader(options, {
      header: (header) => this.#deliver(() => this.#handlers.onHeader(header)),
      element: (element) => this.#element(element),
      end: () => this.#peerClosed(),
      oversize: (stanza) => this.#oversize(stanza),
      refuse: (condition, text) => {
        this.#options.log.warn({ condition, text }, 'refusing incoming XML');
        this.fail(condition, text);
      },
    });
    this.#attach(socket);
  }

  /** Opens the TCP connection; throws `xmpp.connection-failed` on refusal or timeout. */
  static connect(options: XmlStreamOptions, handlers: XmlStreamHandlers): Promise<XmlStream> {
    return new Promise((resolve, reject) => {
      const where = {
        host: options.host,
        port: options.port,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      };
      const tls = options.directTls;
      const target =
        tls === undefined
          ? undefined
          : {
              host: options.host,
              port: options.port,
              servername: tls.servername,
              ...(tls.ca === undefined ? {} : { ca: tls.ca }),
              ...(tls.rejectUnauthorized === undefined
                ? {}
                : { rejectUnauthorized: tls.rejectUnauthorized }),
            };
      let socket: Socket;
      if (tls === undefined || target === undefined) socket = netConnect(where);
      else {
        const secure = tlsConnect({
          ...where,
          servername: tls.servername,
          ALPNProtocols: ['xmpp-client'],
          secureContext: secureContextFor(tls.ca),
          rejectUnauthorized: tls.rejectUnauthorized ?? true,
          ...resumptionOption(tls.sessionCache, target),
        });
        rememberSessions(secure, tls.sessionCache, target);
        socket = secure;
      }
      socket.setNoDelay(true);
      const fail = (
        cause: unknown,
        text: string,
        code: 'xmpp.connection-failed' | 'xmpp.tls-failed' = 'xmpp.connection-failed',
      ) => {
        cancel();
        socket.destroy();
        reject(
          new AviaryError(code, `${options.host}:${options.port}: ${text}`, {
            cause,
            details: { host: options.host, port: options.port },
          }),
        );
      };
      // A failed direct TLS handshake (no `syscall`: not a socket error) is a TLS failure,
      // like STARTTLS's.
      const onError = (error: Error) =>
        fail(
          error,
          error.message,
          tls !== undefined && !('syscall' in error) ? 'xmpp.tls-failed' : 'xmpp.connection-failed',
        );
      const cancel = options.clock.setTimeout(
        () => fail(undefined, `no connection after ${options.connectTimeoutMs} ms`),
        options.connectTimeoutMs,
      );
      socket.on('error', onError);
      socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
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

  /** True when the TLS session was resumed from a cached ticket (no full handshake). */
  get tlsResumed(): boolean {
    return 'isSessionReused' in this.#socket && this.#socket.isSessionReused();
  }

  /** Bytes queued in the socket and not yet handed to the kernel. */
  get writableLength(): number {
    return this.#socket.writableLength;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True between `pause()` and `resume()`. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Sends our stream header and starts reading a new stream (RFC 6120 §4.2, §4.3.3). */
  async open(to: string, extra: Record<string, string> = {}): Promise<void> {
    this.#reader.start();
    // The usual header (no extra attributes) without building and joining entry arrays.
    const attrs =
      Object.keys(extra).length === 0
        ? ` to='${escapeXML(to)}' version='1.0'`
        : Object.entries({ to, version: '1.0', ...extra })
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
    const socket = this.#socket;
    // Writes of one tick leave in one system call (writev): each write to a loopback socket is
    // a syscall that also runs the peer's TCP receive path, a measurable part of a login's CPU.
    // The socket is captured so a STARTTLS swap cannot leave the old one corked.
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(uncork, socket);
    }
    return new Promise((resolve, reject) => {
      socket.write(text, (error) =>
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
   * Stops reading the socket, so the kernel's receive window fills and TCP pushes back on the
   * peer; idempotent. Elements of a chunk already being parsed are still delivered. The pause
   * holds across STARTTLS (the handshake itself still reads) and until `resume()`; a paused
   * stream's `close()` does not read the peer's close and so waits for its timeout.
   */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    if (!this.#closed && !this.#upgrading) this.#socket.pause();
  }

  /** Starts reading again after `pause()`; idempotent. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (!this.#closed && !this.#upgrading) this.#socket.resume();
  }

  /**
   * Upgrades the socket to TLS after `<proceed/>` (RFC 6120 §5.4.3.3), verifying the
   * certificate for `servername` (RFC 7590). Throws `xmpp.tls-failed`; the stream is then
   * closed and `onClose` hears the same error.
   */
  async startTls(options: TlsUpgradeOptions): Promise<void> {
    const raw = this.#socket;
    this.#detach(raw);
    // The handshake must read even while paused; the pause moves to the TLS socket after it.
    this.#upgrading = true;
    if (this.#paused) raw.resume();
    let secure: TLSSocket;
    try {
      secure = await upgradeToTls(raw, options, {
        clock: this.#options.clock,
        timeoutMs: this.#options.connectTimeoutMs,
        onLaterError: this.#onError,
        peer: { host: this.#options.host, port: this.#options.port },
      });
    } catch (error) {
      // Both sockets are gone: the stream ends here, and the owner hears why.
      if (error instanceof AviaryError) this.#error ??= error;
      this.#finish();
      throw error;
    } finally {
      this.#upgrading = false;
    }
    this.#socket = secure;
    this.#attach(secure);
    if (this.#paused) secure.pause();
  }

  /** Sends a stream error and closes (RFC 6120 §4.9.1.1); the owner hears `onClose(error)`. */
  fail(condition: StreamErrorCondition, text: string): void {
    if (this.#closed || this.#failing) return;
    this.#failing = true;
    this.#error ??= streamFailure(condition, text);
    this.#reader.stop();
    if (!this.#socket.destroyed) {
      this.#socket.end(`${streamErrorXml(condition, text)}</stream:stream>`);
      // Nothing more is parsed; reading on lets the socket see the peer's close.
      this.#socket.resume();
    }
    this.#options.clock.setTimeout(() => this.#socket.destroy(), 2000);
  }

  /** Closes cleanly: `</stream:stream>`, waits for the peer's close (or `timeoutMs`), ends. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closeRequested = true;
    const closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()));
    // After fail() or the peer's close our side is already ended: nothing more to write.
    if (!this.#socket.writableEnded) this.#socket.write('</stream:stream>');
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

  #oversize(stanza: OversizeStanza): void {
    const { onOversize } = this.#handlers;
    if (onOversize !== undefined) {
      // The owner reports it (and can rate-limit); one debug line here.
      this.#options.log.debug({ ...stanza }, 'skipped an oversize stanza');
      this.#deliver(() => onOversize.call(this.#handlers, stanza));
      return;
    }
    this.#options.log.warn({ ...stanza }, 'skipped an oversize stanza');
    const reply = oversizeReply(stanza, this.#options.ns);
    if (reply !== undefined) this.write(reply).catch(() => {});
  }

  /** Runs an owner's handler; an exception from it closes this stream, never the process. */
  #deliver(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#options.log.warn({ error }, 'stream handler threw');
      this.#error ??= streamFailure('undefined-condition', 'a stream handler threw', error);
      this.fail('undefined-condition', 'internal error while handling a stanza');
    }
  }

  #element(element: Element): void {
    if (element.is('error', NS_STREAM) || element.name === 'stream:error') {
      this.#error ??= streamErrorFromElement(element);
      this.#reader.stop();
      this.#socket.end('</stream:stream>');
      return;
    }
    this.#deliver(() => this.#handlers.onElement(element));
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
    this.#reader.stop();
    const error =
      this.#error ??
      (this.#closeRequested
        ? undefined
        : new AviaryError('xmpp.connection-failed', 'connection lost'));
    try {
      this.#handlers.onClose(error);
    } catch (thrown) {
      this.#options.log.warn({ error: thrown }, 'onClose handler threw');
    }
  }
}
