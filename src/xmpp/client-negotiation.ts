/**
 * The client stream negotiation steps of RFC 6120, each an explicit async function over an
 * {@link XmlStream} and the queue of elements received meanwhile:
 * STARTTLS (§5) → SASL (§6) → resource binding (§7), plus the optional legacy session
 * (RFC 3921 §3, only when the server marks it mandatory).
 */
import xml, { type Element } from '@xmpp/xml';
import { AviaryError } from '../errors.js';
import type { ElementQueue } from './element-queue.js';
import { type MechanismName, pickMechanism } from './sasl-mechanisms.js';
import type { SaltedPasswordCache } from './scram.js';
import type { TlsUpgradeOptions } from './tls-upgrade.js';
import type { XmlStream } from './xml-stream.js';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
const NS_SASL_CB = 'urn:xmpp:sasl-cb:0';

/** What every step needs. */
export interface NegotiationContext {
  readonly stream: XmlStream;
  readonly queue: ElementQueue;
  readonly domain: string;
  readonly timeoutMs: number;
}

/** Waits for `<stream:features/>` after a stream (re)open. */
export async function readFeatures(ctx: NegotiationContext): Promise<Element> {
  const element = await ctx.queue.next(ctx.timeoutMs, 'stream features');
  if (element.name !== 'stream:features' && element.name !== 'features')
    throw new AviaryError('xmpp.unexpected', `expected stream features, got <${element.name}>`);
  return element;
}

/** STARTTLS (RFC 6120 §5.4): `<starttls/>`, `<proceed/>`, TLS handshake, stream restart. */
export async function negotiateTls(
  ctx: NegotiationContext,
  tls: Omit<TlsUpgradeOptions, 'servername'>,
): Promise<Element> {
  await ctx.stream.send(xml('starttls', { xmlns: NS_TLS }));
  const reply = await ctx.queue.next(ctx.timeoutMs, 'STARTTLS reply');
  if (!reply.is('proceed', NS_TLS))
    throw new AviaryError('xmpp.tls-failed', `server answered <${reply.name}> to STARTTLS`);
  await ctx.stream.startTls({ servername: ctx.domain, ...tls });
  await ctx.stream.open(ctx.domain);
  return readFeatures(ctx);
}

/** SASL (RFC 6120 §6) with Aviary's mechanisms; a `<failure/>` throws `xmpp.auth-failed`. */
export async function negotiateSasl(
  ctx: NegotiationContext,
  features: Element,
  options: {
    username: string;
    password: string;
    allowPlain: boolean;
    mechanisms?: readonly MechanismName[];
    cache: SaltedPasswordCache;
  },
): Promise<{ mechanism: MechanismName; features: Element }> {
  const offered = (
    features.getChild('mechanisms', NS_SASL)?.getChildren('mechanism', NS_SASL) ?? []
  ).map((m) => m.text());
  const channelBindings = (
    features.getChild('sasl-channel-binding', NS_SASL_CB)?.getChildren('channel-binding') ?? []
  )
    .map((c) => c.attrs.type)
    .filter((type): type is string => typeof type === 'string');
  const mech = pickMechanism(offered, {
    cache: options.cache,
    advertised: { mechanisms: offered, channelBindings },
    allowPlain: options.allowPlain,
    ...(options.mechanisms === undefined ? {} : { allowed: options.mechanisms }),
  });
  if (mech === null)
    throw new AviaryError(
      'xmpp.auth-failed',
      `no usable SASL mechanism among [${offered.join(', ')}]`,
      {
        details: { condition: 'no-mechanism', text: '', offered },
      },
    );
  const credentials = { username: options.username, password: options.password };
  const initial = Buffer.from(await mech.response(credentials), 'utf8').toString('base64');
  await ctx.stream.send(xml('auth', { xmlns: NS_SASL, mechanism: mech.name }, initial || '='));
  for (;;) {
    const element = await ctx.queue.next(ctx.timeoutMs, 'SASL reply');
    const data = decodeSasl(element.text());
    if (element.is('challenge', NS_SASL)) {
      mech.challenge(data);
      const response = Buffer.from(await mech.response(credentials), 'utf8').toString('base64');
      await ctx.stream.send(xml('response', { xmlns: NS_SASL }, response));
    } else if (element.is('success', NS_SASL)) {
      mech.verifyFinal(data);
      break;
    } else if (element.is('failure', NS_SASL)) {
      const condition =
        element.getChildElements().find((c) => c.name !== 'text')?.name ?? 'not-authorized';
      const text = element.getChildText('text') ?? '';
      throw new AviaryError(
        'xmpp.auth-failed',
        `SASL ${mech.name} failed: ${condition}${text ? ` (${text})` : ''}`,
        {
          details: { condition, text, mechanism: mech.name },
        },
      );
    } else throw new AviaryError('xmpp.unexpected', `unexpected <${element.name}> during SASL`);
  }
  await ctx.stream.open(ctx.domain);
  return { mechanism: mech.name, features: await readFeatures(ctx) };
}

function decodeSasl(text: string): string {
  return text === '=' ? '' : Buffer.from(text, 'base64').toString('utf8');
}

/** Resource binding (RFC 6120 §7) and, when mandatory, the legacy session; returns the full JID. */
export async function bindResource(
  features: Element,
  resource: string | undefined,
  iq: (element: Element) => Promise<Element>,
): Promise<string> {
  if (features.getChild('bind', NS_BIND) === undefined)
    throw new AviaryError('xmpp.unexpected', 'the server offers no resource binding');
  const result = await iq(
    xml(
      'iq',
      { type: 'set' },
      xml('bind', { xmlns: NS_BIND }, resource ? xml('resource', {}, resource) : null),
    ),
  );
  const jid = result.getChild('bind', NS_BIND)?.getChildText('jid');
  if (!jid) throw new AviaryError('xmpp.unexpected', 'resource binding returned no JID');
  const session = features.getChild('session', NS_SESSION);
  if (session !== undefined && session.getChild('optional') === undefined)
    await iq(xml('iq', { type: 'set' }, xml('session', { xmlns: NS_SESSION })));
  return jid;
}
