import type { AviaryConfig } from '../config/config-schema.js';
import type { ConnectionFactories } from '../entities/entity-manager.js';
import { serverOf, tlsModeOf, tlsOptionsFor } from '../entities/profile-settings.js';
import { AviaryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock } from '../util/clock.js';
import { createClientConnection } from '../xmpp/client-connection.js';
import { createComponentConnection } from '../xmpp/component-connection.js';
import type { SaltedPasswordCache } from '../xmpp/scram.js';
import { createDnsResolver } from '../xmpp/server-discovery.js';
import { StreamManagementSession } from '../xmpp/stream-management.js';
import { createTlsSessionCache } from '../xmpp/tls-session-cache.js';

/** The real XMPP connections: clients over TCP + STARTTLS, components over XEP-0114. */
export function xmppConnectionFactories(deps: {
  config: AviaryConfig;
  clock: Clock;
  saltedPasswords: SaltedPasswordCache;
  log: Logger;
}): ConnectionFactories {
  const { config, clock } = deps;
  // One stream management session per account, handed to each of its connections so a new
  // connection resumes the dropped one (XEP-0198 §5). Keyed by name and JID: a profile
  // recreated under the same name for another account starts afresh.
  const resolver = createDnsResolver(config.xmpp.dnsServers);
  const smSessions = new Map<string, StreamManagementSession>();
  // TLS session tickets shared by the profiles of one server (keyed by place and trust settings):
  // a login after the first skips the certificate chain and the key exchange's signature.
  const tlsSessions = createTlsSessionCache();
  const smSessionOf = (name: string, jid: string) => {
    const key = `${name}\0${jid}`;
    let session = smSessions.get(key);
    if (session === undefined) {
      session = new StreamManagementSession();
      smSessions.set(key, session);
    }
    return session;
  };
  return {
    client({ profile, password, caFile, verifyTls, streamManagement }) {
      const tls = tlsModeOf(profile.tlsPolicy);
      const server = serverOf(profile);
      const smEnabled = streamManagement ?? config.xmpp.streamManagement;
      return createClientConnection({
        streamManagement: smEnabled ? smSessionOf(profile.name, profile.jid) : false,
        jid: profile.jid,
        // In a cluster every node binds the same resource, so the server ends a stalled former
        // owner's session when the new owner logs in (RFC 6120 §7.7.2.2): never two sessions.
        ...(config.cluster.enabled && !profile.jid.includes('/') ? { resource: 'aviary' } : {}),
        password,
        ...(server ? { server } : { discovery: { resolver } }),
        tls,
        tlsOptions: tlsOptionsFor(
          { ...(caFile ? { caFile } : {}), verifyTls },
          config.xmpp.tlsCaFile,
        ),
        saltedPasswordCache: deps.saltedPasswords,
        tlsSessionCache: tlsSessions,
        clock,
        maxStanzaBytes: config.xmpp.maxStanzaBytes,
        // Plain-text SASL only where plain text was explicitly allowed (loopback, checked by the connection).
        allowPlainTextAuth: tls === 'off',
        ...(config.xmpp.pingIntervalMs > 0 ? { pingIntervalMs: config.xmpp.pingIntervalMs } : {}),
        log: deps.log.child({ profile: profile.name, component: 'xmpp' }),
      });
    },
    component({ profile, secret }) {
      if (profile.serverHost === null && profile.serverPort === null) {
        throw new AviaryError(
          'component.invalid',
          `component ${profile.name} needs --server and --port`,
        );
      }
      return createComponentConnection({
        jid: profile.jid,
        secret,
        server: { host: profile.serverHost ?? '127.0.0.1', port: profile.serverPort ?? 5347 },
        clock,
        maxStanzaBytes: config.xmpp.maxStanzaBytes,
        log: deps.log.child({ component: profile.name }),
      });
    },
  };
}
