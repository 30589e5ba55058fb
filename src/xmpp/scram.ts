/**
 * SASL SCRAM-SHA-1 and SCRAM-SHA-256 client (RFC 5802, RFC 7677) computed with node:crypto.
 *
 * PBKDF2 runs through the asynchronous `crypto.pbkdf2` (libuv thread pool, off the main thread)
 * and the keys derived from its result (ClientKey, StoredKey, ServerKey) are cached per (user,
 * salt, iteration count), which RFC 5802 §5.1 allows, so a reconnect costs two HMACs instead
 * of thousands.
 *
 * Downgrade protection (XEP-0474): a server-first-message carrying `d=` names, hashed, the SASL
 * mechanisms and channel-binding types the server advertised. The client compares it with what
 * it saw in the stream features; a difference means someone removed or changed offers on the way
 * (e.g. to force SCRAM-SHA-1 or PLAIN) and the exchange is refused. The server-first-message is
 * part of the AuthMessage, so `d=` itself is covered by the server signature checked at the end.
 *
 * https://www.rfc-editor.org/rfc/rfc5802 — https://www.rfc-editor.org/rfc/rfc7677 —
 * https://xmpp.org/extensions/xep-0474.html
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { AviaryError } from '../errors.js';
import { pooledRandomBytes } from './random-pool.js';

export type ScramHash = 'sha1' | 'sha256';

/** Key length of each hash in bytes. */
const KEY_LENGTH: Readonly<Record<ScramHash, number>> = { sha1: 20, sha256: 32 };

/**
 * The keys RFC 5802 §3 derives from the salted password: all a client needs to prove it knows
 * the password and to check the server's signature. RFC 5802 §5.1 lets a client cache them
 * (they only serve this user, salt and iteration count).
 */
export interface ScramKeys {
  /** `HMAC(SaltedPassword, "Client Key")`. */
  readonly clientKey: Buffer;
  /** `H(ClientKey)`. */
  readonly storedKey: Buffer;
  /** `HMAC(SaltedPassword, "Server Key")`. */
  readonly serverKey: Buffer;
}

/**
 * Cache of SCRAM keys (the PBKDF2 result and the keys derived from it), owned by its caller
 * (one per runtime), in memory only. Entries are bound to a keyed fingerprint of the password,
 * so a changed password misses.
 *
 * @example
 * const cache = createSaltedPasswordCache({ maxEntries: 10_000 });
 */
export interface SaltedPasswordCache {
  get(key: string, password: string): ScramKeys | undefined;
  set(key: string, password: string, keys: ScramKeys): void;
  readonly size: number;
  clear(): void;
}

const FINGERPRINT_LENGTH = 32;

/**
 * Creates a bounded {@link SaltedPasswordCache} (oldest entry evicted first). Each entry is ONE
 * buffer (fingerprint, ClientKey, StoredKey, ServerKey back to back): a runtime holding tens of
 * thousands of profiles keeps one small object per profile, not five.
 */
export function createSaltedPasswordCache(
  options: { maxEntries?: number } = {},
): SaltedPasswordCache {
  const maxEntries = options.maxEntries ?? 100_000;
  const fingerprintKey = randomBytes(32);
  const entries = new Map<string, Buffer>();
  const fingerprint = (password: string) =>
    createHmac('sha256', fingerprintKey).update(password, 'utf8').digest();
  return {
    get(key, password) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      const stored = entry.subarray(0, FINGERPRINT_LENGTH);
      if (!timingSafeEqual(stored, fingerprint(password))) return undefined;
      const length = (entry.length - FINGERPRINT_LENGTH) / 3;
      const at = (i: number) =>
        entry.subarray(FINGERPRINT_LENGTH + i * length, FINGERPRINT_LENGTH + (i + 1) * length);
      return { clientKey: at(0), storedKey: at(1), serverKey: at(2) };
    },
    set(key, password, keys) {
      entries.delete(key);
      entries.set(
        key,
        Buffer.concat([fingerprint(password), keys.clientKey, keys.storedKey, keys.serverKey]),
      );
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
    },
  };
}

/** Derives {@link ScramKeys} from a salted password (RFC 5802 §3). */
export function deriveScramKeys(hash: ScramHash, salted: Buffer): ScramKeys {
  const clientKey = createHmac(hash, salted).update('Client Key', 'utf8').digest();
  return {
    clientKey,
    storedKey: createHash(hash).update(clientKey).digest(),
    serverKey: createHmac(hash, salted).update('Server Key', 'utf8').digest(),
  };
}

/** `Hi()` of RFC 5802 §2.2: PBKDF2 with HMAC-`hash`, asynchronous (thread pool). */
export function saltPassword(
  hash: ScramHash,
  password: string,
  salt: Buffer,
  iterations: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(normalizePassword(password), salt, iterations, KEY_LENGTH[hash], hash, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Approximates SASLprep (RFC 4013) with Unicode NFKC, which covers its mapping for common input. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** `saslname` escaping of RFC 5802 §5.1. */
function escapeName(name: string): string {
  return normalizePassword(name).replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function parseAttributes(message: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) attrs.set(part.slice(0, 1), part.slice(2));
  }
  return attrs;
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

function authFailure(text: string): AviaryError<'xmpp.auth-failed'> {
  return new AviaryError('xmpp.auth-failed', `SCRAM: ${text}`, {
    details: { condition: 'client-side', text },
  });
}

/** What the stream features advertised, for the XEP-0474 check. */
export interface AdvertisedSasl {
  readonly mechanisms: readonly string[];
  /** Channel-binding types of `<sasl-channel-binding/>` (XEP-0440); empty when none. */
  readonly channelBindings: readonly string[];
}

/**
 * The XEP-0474 hash input: the mechanisms sorted by octet and joined by `,`, then `|`, then the
 * channel-binding types sorted and joined by `,`. With no channel-binding types the input ends
 * with `|`; a server that leaves the separator out then is accepted too (same information).
 */
export function downgradeProtectionInputs(advertised: AdvertisedSasl): string[] {
  const sorted = (list: readonly string[]) => [...list].sort(octetOrder).join(',');
  const base = `${sorted(advertised.mechanisms)}|${sorted(advertised.channelBindings)}`;
  return advertised.channelBindings.length === 0 ? [base, base.slice(0, -1)] : [base];
}

function octetOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Credentials a SCRAM exchange needs. */
export interface ScramCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * One SCRAM exchange, as a small state machine:
 * `clientFirst()` → `clientFinal(serverFirst)` → `verifyServerFinal(serverFinal)`.
 *
 * @example
 * const s = new ScramSession({ hash: 'sha256', credentials, cache });
 * send(s.clientFirst()); send(await s.clientFinal(challenge)); s.verifyServerFinal(success);
 */
export class ScramSession {
  readonly #hash: ScramHash;
  readonly #credentials: ScramCredentials;
  readonly #cache: SaltedPasswordCache | undefined;
  readonly #clientNonce: string;
  readonly #advertised: AdvertisedSasl | undefined;
  #clientFirstBare = '';
  #expectedServerSignature: Buffer | undefined;

  constructor(options: {
    hash: ScramHash;
    credentials: ScramCredentials;
    cache?: SaltedPasswordCache;
    /** For test vectors only; defaults to 24 random bytes in base64. */
    clientNonce?: string;
    /** What the stream features offered, checked against `d=` (XEP-0474) when the server sends it. */
    advertised?: AdvertisedSasl;
  }) {
    this.#advertised = options.advertised;
    this.#hash = options.hash;
    this.#credentials = options.credentials;
    this.#cache = options.cache;
    this.#clientNonce = options.clientNonce ?? pooledRandomBytes(24).toString('base64');
  }

  /** The client-first-message, GS2 header included (no channel binding: `n,,`). */
  clientFirst(): string {
    this.#clientFirstBare = `n=${escapeName(this.#credentials.username)},r=${this.#clientNonce}`;
    return `n,,${this.#clientFirstBare}`;
  }

  /** Computes the client-final-message from the server-first-message. */
  async clientFinal(serverFirst: string): Promise<string> {
    const attrs = parseAttributes(serverFirst);
    const nonce = attrs.get('r');
    const saltB64 = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (attrs.has('m')) throw authFailure('unsupported mandatory extension');
    if (nonce === undefined || !nonce.startsWith(this.#clientNonce) || nonce === this.#clientNonce)
      throw authFailure('server nonce does not extend the client nonce');
    if (saltB64 === undefined || saltB64 === '') throw authFailure('missing salt');
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000)
      throw authFailure(`bad iteration count ${attrs.get('i')}`);
    const downgradeHash = attrs.get('d');
    if (downgradeHash !== undefined) this.#checkDowngrade(downgradeHash);

    const salt = Buffer.from(saltB64, 'base64');
    const { username, password } = this.#credentials;
    const cacheKey = `${this.#hash}\0${username}\0${saltB64}\0${iterations}`;
    let keys = this.#cache?.get(cacheKey, password);
    if (keys === undefined) {
      keys = deriveScramKeys(
        this.#hash,
        await saltPassword(this.#hash, password, salt, iterations),
      );
      this.#cache?.set(cacheKey, password, keys);
    }

    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${serverFirst},${withoutProof}`;
    const { clientKey, storedKey, serverKey } = keys;
    const clientSignature = this.#hmac(storedKey, authMessage);
    this.#expectedServerSignature = this.#hmac(serverKey, authMessage);
    return `${withoutProof},p=${xor(clientKey, clientSignature).toString('base64')}`;
  }

  /**
   * Checks the server-final-message (`v=` signature). A wrong or missing signature means the
   * server does not know the password: throws `xmpp.auth-failed`.
   */
  verifyServerFinal(serverFinal: string): void {
    const attrs = parseAttributes(serverFinal);
    const error = attrs.get('e');
    if (error !== undefined) throw authFailure(`server error ${error}`);
    const expected = this.#expectedServerSignature;
    if (expected === undefined) throw authFailure('server-final before client-final');
    const received = Buffer.from(attrs.get('v') ?? '', 'base64');
    if (received.length !== expected.length || !timingSafeEqual(received, expected))
      throw authFailure('server signature mismatch');
  }

  /** XEP-0474: `d=` must hash exactly what the stream features offered. */
  #checkDowngrade(value: string): void {
    if (this.#advertised === undefined) return;
    const received = Buffer.from(value, 'base64');
    const matches = downgradeProtectionInputs(this.#advertised).some((input) => {
      const expected = createHash(this.#hash).update(input, 'utf8').digest();
      return received.length === expected.length && timingSafeEqual(received, expected);
    });
    if (!matches)
      throw new AviaryError(
        'xmpp.auth-failed',
        'SCRAM: downgrade detected: the mechanisms or channel-binding types offered in the stream features differ from those the server signed (XEP-0474)',
        { details: { condition: 'downgrade-detected', text: 'XEP-0474 hash mismatch' } },
      );
  }

  #hmac(key: Buffer, data: string): Buffer {
    return createHmac(this.#hash, key).update(data, 'utf8').digest();
  }
}
