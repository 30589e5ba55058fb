/**
 * SASL mechanisms in the shape the `saslmechanisms` factory (and @xmpp/sasl) expects: a class
 * whose prototype carries `name` and `clientFirst`, with `response(credentials)` and
 * `challenge(data)`. Ours add `verifyFinal(data)` so the SCRAM server signature is checked
 * (RFC 5802 §3; @xmpp/sasl ignores the data in `<success/>`).
 *
 * Preference is registration order: SCRAM-SHA-256 > SCRAM-SHA-1 > PLAIN (RFC 4616).
 */
import Factory from 'saslmechanisms';
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

/** The `saslmechanisms` factory's shape: a class constructed without arguments. */
function scramClass(
  name: Exclude<MechanismName, 'PLAIN'>,
  cache: SaltedPasswordCache | undefined,
  advertised: AdvertisedSasl | undefined,
) {
  const bound = class extends ScramMechanism {
    constructor() {
      super(name, SCRAM_HASH[name], cache, advertised);
    }
  };
  Object.assign(bound.prototype, { name, clientFirst: true });
  return bound;
}

class Plain implements AviaryMechanism {
  declare readonly name: MechanismName;
  declare readonly clientFirst: true;
  async response(credentials: SaslCredentials): Promise<string> {
    return `\0${credentials.username}\0${credentials.password}`;
  }
  challenge(): this {
    return this;
  }
  verifyFinal(): void {}
}
Object.assign(Plain.prototype, { name: 'PLAIN', clientFirst: true });

/**
 * Builds a `saslmechanisms` factory holding Aviary's mechanisms in preference order.
 * `allowed` narrows the set (the login benchmark pins SCRAM-SHA-1); PLAIN is only registered
 * when `allowPlain` is true (the caller decides: TLS is up, or plain text is explicitly allowed).
 *
 * @example
 * const factory = createSaslFactory({ cache, allowPlain: socket.encrypted });
 * const mech = factory.create(offeredNames) as AviaryMechanism | null;
 */
export function createSaslFactory(options: {
  cache?: SaltedPasswordCache;
  allowPlain: boolean;
  allowed?: readonly MechanismName[];
  /** The stream features' offers, for SCRAM downgrade protection (XEP-0474). */
  advertised?: AdvertisedSasl;
}): Factory {
  const factory = new Factory();
  const allowed = new Set(options.allowed ?? MECHANISM_PREFERENCE);
  if (allowed.has('SCRAM-SHA-256'))
    factory.use(scramClass('SCRAM-SHA-256', options.cache, options.advertised));
  if (allowed.has('SCRAM-SHA-1'))
    factory.use(scramClass('SCRAM-SHA-1', options.cache, options.advertised));
  if (allowed.has('PLAIN') && options.allowPlain) factory.use(Plain);
  return factory;
}

/**
 * The preferred mechanism among `offered`, with the same rules as {@link createSaslFactory}
 * (preference order, `allowed`, PLAIN only with `allowPlain`), or null when none fits. Builds
 * no class per call: a login creates one small object.
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
