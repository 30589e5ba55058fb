/**
 * The SASL mechanisms a login picks from (RFC 6120 §6): objects with `name`, `clientFirst`,
 * `response(credentials)` and `challenge(data)`, plus `verifyFinal(data)` so the SCRAM server
 * signature is checked (RFC 5802 §3).
 *
 * Preference: SCRAM-SHA-256 > SCRAM-SHA-1 > PLAIN (RFC 4616).
 */
import {
  type AdvertisedSasl,
  type SaltedPasswordCache,
  type ScramHash,
  ScramSession,
} from './scram.js';

/** Mechanism names Aviary implements, in preference order. */
export const MECHANISM_PREFERENCE = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const;
export type MechanismName = (typeof MECHANISM_PREFERENCE)[number];

/** Credentials handed to `response()`. */
export interface SaslCredentials {
  readonly username: string;
  readonly password: string;
}

/** The instance interface of every mechanism registered here. */
export interface AviaryMechanism {
  readonly name: MechanismName;
  readonly clientFirst: true;
  /** Next client message (the initial response first). */
  response(credentials: SaslCredentials): Promise<string>;
  /** Stores a server challenge for the next `response()`. */
  challenge(data: string): this;
  /** Checks the additional data of `<success/>`; throws `xmpp.auth-failed` when it is wrong. */
  verifyFinal(data: string): void;
}

/** SCRAM over {@link ScramSession}; one class for both hashes (defined once, not per login). */
class ScramMechanism implements AviaryMechanism {
  readonly name: MechanismName;
  readonly clientFirst = true as const;
  readonly #hash: ScramHash;
  readonly #cache: SaltedPasswordCache | undefined;
  readonly #advertised: AdvertisedSasl | undefined;
  #session: ScramSession | undefined;
  #challenge: string | undefined;

  constructor(
    name: MechanismName,
    hash: ScramHash,
    cache: SaltedPasswordCache | undefined,
    advertised: AdvertisedSasl | undefined,
  ) {
    this.name = name;
    this.#hash = hash;
    this.#cache = cache;
    this.#advertised = advertised;
  }

  async response(credentials: SaslCredentials): Promise<string> {
    if (this.#session === undefined) {
      this.#session = new ScramSession({
        hash: this.#hash,
        credentials,
        ...(this.#cache === undefined ? {} : { cache: this.#cache }),
        ...(this.#advertised === undefined ? {} : { advertised: this.#advertised }),
      });
      return this.#session.clientFirst();
    }
    return this.#session.clientFinal(this.#challenge ?? '');
  }

  challenge(data: string): this {
    this.#challenge = data;
    return this;
  }

  verifyFinal(data: string): void {
    if (this.#session === undefined) throw new Error('SCRAM: success before any exchange');
    this.#session.verifyServerFinal(data);
  }
}

const SCRAM_HASH: Readonly<Record<Exclude<MechanismName, 'PLAIN'>, ScramHash>> = {
  'SCRAM-SHA-256': 'sha256',
  'SCRAM-SHA-1': 'sha1',
};

class Plain implements AviaryMechanism {
  readonly name = 'PLAIN' as const;
  readonly clientFirst = true as const;
  async response(credentials: SaslCredentials): Promise<string> {
    return `\0${credentials.username}\0${credentials.password}`;
  }
  challenge(): this {
    return this;
  }
  verifyFinal(): void {}
}

/**
 * The preferred mechanism among `offered` ({@link MECHANISM_PREFERENCE} order), narrowed by
 * `allowed` (the login benchmark pins SCRAM-SHA-1), PLAIN only when `allowPlain` (the caller
 * decides: TLS is up, or plain text is explicitly allowed); null when none fits.
 *
 * @example
 * const mech = pickMechanism(['SCRAM-SHA-1', 'PLAIN'], { cache, allowPlain: false });
 */
export function pickMechanism(
  offered: readonly string[],
  options: {
    cache?: SaltedPasswordCache;
    allowPlain: boolean;
    allowed?: readonly MechanismName[];
    advertised?: AdvertisedSasl;
  },
): AviaryMechanism | null {
  for (const name of MECHANISM_PREFERENCE) {
    if (!offered.includes(name)) continue;
    if (options.allowed !== undefined && !options.allowed.includes(name)) continue;
    if (name === 'PLAIN') {
      if (options.allowPlain) return new Plain();
      continue;
    }
    return new ScramMechanism(name, SCRAM_HASH[name], options.cache, options.advertised);
  }
  return null;
}
