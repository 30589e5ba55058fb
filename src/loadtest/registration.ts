/**
 * In-band registration (XEP-0077) for load-test accounts: `register` over a fresh stream
 * before authentication (§3.1), and `unregister` (`<remove/>`, §3.2) from a logged-in
 * connection. https://xmpp.org/extensions/xep-0077.html
 */
import xml, { type Element } from '@xmpp/xml';
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { negotiateTls, readFeatures } from '../xmpp/client-negotiation.js';
import { createElementQueue } from '../xmpp/element-queue.js';
import { XmlStream } from '../xmpp/xml-stream.js';
import { silentLog } from '../xmpp/xmpp-log.js';

const NS_REGISTER = 'jabber:iq:register';
const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

/** `created`, or `exists` when the server answered `<conflict/>` (expected outcomes). */
export type RegistrationOutcome = 'created' | 'exists';

export interface RegisterOptions {
  readonly host: string;
  readonly port: number;
  readonly domain: string;
  readonly username: string;
  readonly password: string;
  readonly tls: 'off' | 'optional' | 'required';
  readonly ca?: string;
  readonly clock: Clock;
  readonly timeoutMs?: number;
}

function errorCondition(reply: Element): string {
  return (
    reply
      .getChild('error')
      ?.getChildElements()
      .find((c) => c.name !== 'text')?.name ?? 'undefined-condition'
  );
}

/**
 * Registers one account over its own stream; throws `loadtest.registration-failed`.
 *
 * @example
 * await registerAccount({ host: '127.0.0.1', port: 5222, domain: 'example.test',
 *   username: 'user1', password: 'pw1', tls: 'off', clock: systemClock });
 */
export async function registerAccount(options: RegisterOptions): Promise<RegistrationOutcome> {
  const { clock, domain } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const queue = createElementQueue(clock);
  const stream = await XmlStream.connect(
    {
      host: options.host,
      port: options.port,
      ns: 'jabber:client',
      clock,
      connectTimeoutMs: timeoutMs,
      maxStanzaBytes: 1 << 20,
      log: silentLog,
    },
    {
      onHeader: () => {},
      onElement: (element) => queue.push(element),
      onClose: (error) =>
        queue.fail(error ?? new AviaryError('xmpp.not-connected', 'connection closed')),
    },
  );
  try {
    const ctx = { stream, queue, domain, timeoutMs };
    await stream.open(domain);
    let features = await readFeatures(ctx);
    if (options.tls !== 'off' && features.getChild('starttls', NS_TLS) !== undefined)
      features = await negotiateTls(ctx, options.ca === undefined ? {} : { ca: options.ca });
    else if (options.tls === 'required')
      throw new AviaryError('xmpp.tls-failed', `${domain} does not offer STARTTLS`);
    const id = `reg-${options.username}`;
    await stream.send(
      xml(
        'iq',
        { type: 'set', id, to: domain },
        xml(
          'query',
          { xmlns: NS_REGISTER },
          xml('username', {}, options.username),
          xml('password', {}, options.password),
        ),
      ),
    );
    for (;;) {
      const reply = await queue.next(timeoutMs, 'registration reply');
      if (reply.name !== 'iq' || reply.attrs.id !== id) continue;
      if (reply.attrs.type === 'result') return 'created';
      const condition = errorCondition(reply);
      if (condition === 'conflict') return 'exists';
      throw new AviaryError(
        'loadtest.registration-failed',
        `registering ${options.username}: ${condition}`,
        { details: { username: options.username, condition } },
      );
    }
  } finally {
    await stream.close(1000).catch(() => undefined);
  }
}

/**
 * Removes the logged-in account (XEP-0077 §3.2); the server then closes the stream.
 * Throws `xmpp.stanza-error` / `xmpp.timeout` from the iq.
 */
export async function unregisterAccount(
  iq: (element: Element, timeoutMs?: number) => Promise<Element>,
  timeoutMs = 30_000,
): Promise<void> {
  await iq(
    xml('iq', { type: 'set' }, xml('query', { xmlns: NS_REGISTER }, xml('remove'))),
    timeoutMs,
  );
}
