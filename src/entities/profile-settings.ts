import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { AviaryError } from '../errors.js';
import type { ProfileInfo, TlsPolicy } from '../storage/messages.js';
import type { TlsMode } from '../xmpp/client-connection.js';
import type { EntityStorage } from './entity-ports.js';

/** Per-profile connection settings kept as profile parameters (category `connection`). */
export const CONNECTION_CATEGORY = 'connection';

export interface ConnectionSettings {
  /** Extra CA certificate(s) in PEM to trust for this profile's server (a private CA). */
  readonly caFile?: string;
  /** `false` turns certificate verification off for this profile (never the default). */
  readonly verifyTls: boolean;
  /** `false` turns stream management (XEP-0198) off for this profile (parameter `stream_management`). */
  readonly streamManagement?: boolean;
}

export function tlsModeOf(policy: TlsPolicy): TlsMode {
  return policy === 'disabled' ? 'off' : policy;
}

export async function readConnectionSettings(
  storage: EntityStorage,
  profile: string,
): Promise<ConnectionSettings> {
  const [caFile, verify, streamManagement] = await Promise.all([
    storage.request({ type: 'param.get', profile, category: CONNECTION_CATEGORY, name: 'ca_file' }),
    storage.request({
      type: 'param.get',
      profile,
      category: CONNECTION_CATEGORY,
      name: 'verify_tls',
    }),
    storage.request({
      type: 'param.get',
      profile,
      category: CONNECTION_CATEGORY,
      name: 'stream_management',
    }),
  ]);
  return {
    ...(caFile ? { caFile } : {}),
    verifyTls: verify !== 'false',
    ...(streamManagement === 'false' ? { streamManagement: false } : {}),
  };
}

export async function writeConnectionSettings(
  storage: EntityStorage,
  profile: string,
  settings: {
    caFile?: string | undefined;
    verifyTls?: boolean | undefined;
    streamManagement?: boolean | undefined;
  },
): Promise<void> {
  if (settings.streamManagement !== undefined) {
    await storage.request({
      type: 'param.set',
      profile,
      category: CONNECTION_CATEGORY,
      name: 'stream_management',
      value: settings.streamManagement ? 'true' : 'false',
    });
  }
  if (settings.caFile !== undefined) {
    await storage.request({
      type: 'param.set',
      profile,
      category: CONNECTION_CATEGORY,
      name: 'ca_file',
      value: settings.caFile,
    });
  }
  if (settings.verifyTls !== undefined) {
    await storage.request({
      type: 'param.set',
      profile,
      category: CONNECTION_CATEGORY,
      name: 'verify_tls',
      value: settings.verifyTls ? 'true' : 'false',
    });
  }
}

/** Node TLS options for a profile: verification on unless the profile turned it off. */
export function tlsOptionsFor(
  settings: ConnectionSettings,
  runtimeCa: string | undefined,
): {
  ca?: string[];
  rejectUnauthorized: boolean;
} {
  const cas: string[] = [];
  for (const file of [runtimeCa, settings.caFile]) {
    if (file === undefined) continue;
    try {
      cas.push(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new AviaryError(
        'profile.invalid',
        `cannot read CA file ${file}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
  if (cas.length === 0) return { rejectUnauthorized: settings.verifyTls };
  // Private CAs come on top of the system's trust store, not instead of it.
  return { ca: [...rootCertificates, ...cas], rejectUnauthorized: settings.verifyTls };
}

/** The server a profile connects to (override or the JID's domain). */
export function serverOf(profile: ProfileInfo): { host: string; port: number } | undefined {
  if (profile.serverHost === null && profile.serverPort === null) return undefined;
  const domain = profile.jid.split('@')[1]?.split('/')[0] ?? profile.jid;
  return { host: profile.serverHost ?? domain, port: profile.serverPort ?? 5222 };
}
