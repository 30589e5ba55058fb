/**
 * Service discovery info (XEP-0030 §3) as pubsub uses it: identities (`pubsub/service`,
 * `pubsub/pep`, `pubsub/leaf`...) and features, e.g. `http://jabber.org/protocol/pubsub#rsm`
 * (XEP-0060 §10 "Feature Discovery", §6.5.4), plus extended info forms (XEP-0128).
 * https://xmpp.org/extensions/xep-0030.html
 */
import { type DataForm, parseDataForm } from './data-form.js';
import { NS } from './namespaces.js';
import { PubsubResponseError } from './pubsub-error.js';
import { type XmlElement, xml } from './xml.js';

/** One `<identity/>`. */
export interface DiscoIdentity {
  readonly category: string;
  readonly type: string;
  readonly name?: string | undefined;
  readonly lang?: string | undefined;
}

/** A disco#info result as plain data. */
export interface DiscoInfo {
  readonly node?: string | undefined;
  readonly identities: readonly DiscoIdentity[];
  readonly features: readonly string[];
  /** Extended information forms (XEP-0128), e.g. `pubsub#meta-data` for a node. */
  readonly forms: readonly DataForm[];
}

/** Builds a disco#info request to `to`, optionally about one node. */
export function buildDiscoInfo(to: string, node?: string): XmlElement {
  return xml('iq', { type: 'get', to }, xml('query', { xmlns: NS.discoInfo, node }));
}

/** Parses a disco#info result. */
export function parseDiscoInfoResult(iq: XmlElement): DiscoInfo {
  const query = iq.getChild('query', NS.discoInfo);
  if (query === undefined) throw new PubsubResponseError('disco#info result without <query/>');
  return {
    node: query.attrs.node,
    identities: query.getChildren('identity', NS.discoInfo).map((id) => ({
      category: id.attrs.category ?? '',
      type: id.attrs.type ?? '',
      name: id.attrs.name,
      lang: id.attrs['xml:lang'],
    })),
    features: query
      .getChildren('feature', NS.discoInfo)
      .map((f) => f.attrs.var)
      .filter((v): v is string => v !== undefined),
    forms: query.getChildren('x', NS.dataForms).map(parseDataForm),
  };
}

/**
 * Whether a disco#info result lists `feature`.
 *
 * @example hasFeature(info, NS.pubsubRsm) // pages items with XEP-0059
 */
export function hasFeature(info: DiscoInfo, feature: string): boolean {
  return info.features.includes(feature);
}

/**
 * Whether a pubsub service says it pages items with XEP-0059: `pubsub#rsm` (XEP-0060 §6.5.4) or
 * plain `http://jabber.org/protocol/rsm` (XEP-0059 §6; what ejabberd's SQL backend lists).
 * A `false` is not proof: a service may page without advertising it (ejabberd's Mnesia
 * backend), which shows as a `<set/>` in an items result (`ItemsPage.rsm`).
 */
export function advertisesRsm(info: DiscoInfo): boolean {
  return hasFeature(info, NS.pubsubRsm) || hasFeature(info, NS.rsm);
}

/** Whether a disco#info result has an identity of that category (and type, if given). */
export function hasIdentity(info: DiscoInfo, category: string, type?: string): boolean {
  return info.identities.some(
    (i) => i.category === category && (type === undefined || i.type === type),
  );
}
