import { createHash } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';

export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_CAPS = 'http://jabber.org/protocol/caps';
export const CAPS_NODE = 'https://aviary.invalid/caps';

/** What an entity says about itself in disco#info (XEP-0030) and its caps (XEP-0115). */
export interface DiscoIdentity {
  readonly category: string;
  readonly type: string;
  readonly name?: string;
}

/**
 * The XEP-0115 §5.1 verification string hash (SHA-1, base64) over identities and features
 * (no extended forms).
 */
export function capsVer(identities: readonly DiscoIdentity[], features: readonly string[]): string {
  const ids = identities.map((i) => `${i.category}/${i.type}//${i.name ?? ''}`).sort();
  const feats = [...new Set(features)].sort();
  const s = `${ids.map((i) => `${i}<`).join('')}${feats.map((f) => `${f}<`).join('')}`;
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

/** Base features of an Aviary client; `+notify` ones are added per synchronised namespace. */
export function clientFeatures(notifyNamespaces: readonly string[]): string[] {
  return [
    NS_DISCO_INFO,
    NS_CAPS,
    'urn:xmpp:ping',
    'urn:xmpp:delay',
    'urn:xmpp:sid:0',
    'urn:xmpp:receipts',
    ...notifyNamespaces.map((ns) => `${ns}+notify`),
  ];
}

export const CLIENT_IDENTITY: DiscoIdentity = { category: 'client', type: 'bot', name: 'Aviary' };

/** `<presence><c/></presence>` advertising our caps, so PEP services push `+notify` nodes (XEP-0163 §4). */
export function capsPresence(features: readonly string[]): Element {
  return xml(
    'presence',
    {},
    xml('c', {
      xmlns: NS_CAPS,
      hash: 'sha-1',
      node: CAPS_NODE,
      ver: capsVer([CLIENT_IDENTITY], features),
    }),
  );
}

/** The `<query/>` of a disco#info result (XEP-0030 §3.1), for `node` when the request named one. */
export function discoInfoQuery(node: string | undefined, features: readonly string[]): Element {
  return xml(
    'query',
    { xmlns: NS_DISCO_INFO, ...(node ? { node } : {}) },
    xml('identity', {
      category: CLIENT_IDENTITY.category,
      type: CLIENT_IDENTITY.type,
      name: CLIENT_IDENTITY.name,
    }),
    ...[...new Set(features)].sort().map((f) => xml('feature', { var: f })),
  );
}

/** Answers a disco#info query (plain, or for our caps node#ver); undefined when it is not one. */
export function answerDiscoInfo(iq: Element, features: readonly string[]): Element | undefined {
  if (iq.attrs.type !== 'get') return undefined;
  const query = iq.getChild('query', NS_DISCO_INFO);
  if (query === undefined) return undefined;
  return xml(
    'iq',
    { type: 'result', id: iq.attrs.id, ...(iq.attrs.from ? { to: iq.attrs.from } : {}) },
    discoInfoQuery(query.attrs.node, features),
  );
}

/** `<iq type='get'><query xmlns=disco#info/></iq>` to `to` (XEP-0030 §3.1). */
export function discoInfoIq(to: string): Element {
  return xml('iq', { type: 'get', to }, xml('query', { xmlns: NS_DISCO_INFO }));
}

/** Whether a disco#info result lists `feature` (XEP-0030 §3.1). */
export function hasFeature(discoResult: Element, feature: string): boolean {
  const query = discoResult.getChild('query', NS_DISCO_INFO);
  return (query?.getChildren('feature') ?? []).some((f) => f.attrs.var === feature);
}
