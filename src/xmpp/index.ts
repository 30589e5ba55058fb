// The XMPP connection layer: client (RFC 6120/6121) and component (XEP-0114) connections,
// SASL SCRAM, login pacing. Re-exports only.
export { type Backoff, createBackoff, type RandomSource } from './backoff.js';
export {
  type ClientConnection,
  type ClientConnectionOptions,
  type ConnectionStatus,
  createClientConnection,
  type RosterItem,
  type TlsMode,
} from './client-connection.js';
export {
  type ComponentConnection,
  type ComponentConnectionOptions,
  type ComponentStatus,
  componentHandshake,
  createComponentConnection,
} from './component-connection.js';
export { stanzaErrorFromElement } from './iq-tracker.js';
export { isLoopbackHost } from './loopback.js';
export { MECHANISM_PREFERENCE, type MechanismName, pickMechanism } from './sasl-mechanisms.js';
export { createSaltedPasswordCache, type SaltedPasswordCache, ScramSession } from './scram.js';
export {
  createDnsResolver,
  discoverServers,
  type ServerTarget,
  type SrvResolver,
} from './server-discovery.js';
export type { StanzaHandler, StanzaSurface } from './stanza-surface.js';
export { createStreamGuard, type GuardViolation } from './stream-guard.js';
export { StreamManagementSession } from './stream-management.js';
export { createTokenBucket, type TokenBucket } from './token-bucket.js';
export { silentLog, type XmppLog } from './xmpp-log.js';
