import type { Element } from '@xmpp/xml';
import type { AviaryError } from '../errors.js';

/**
 * What an entity actor needs from its XMPP connection, client (RFC 6120 c2s) or component
 * (XEP-0114) alike. `onStatus` reports `offline` with an error when the stream drops.
 */
export interface EntityConnection {
  /** Own JID once the stream is up (full JID for clients, the domain for components). */
  readonly jid: string | undefined;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(element: Element): Promise<void>;
  iq(element: Element, timeoutMs?: number): Promise<Element>;
  onStanza(handler: (stanza: Element) => void): () => void;
  onStatus(handler: (status: string, error?: AviaryError) => void): () => void;
  /** Stops reading from the server until `resume()` (TCP backpressure; stanzas already read still arrive). */
  pause(): void;
  resume(): void;
}

/** Connection states published as `connectionState` events. */
export type EntityState =
  | 'offline'
  | 'connecting'
  | 'online'
  | 'reconnecting'
  | 'auth-failed'
  | 'stopped';
