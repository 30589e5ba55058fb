/**
 * XML namespaces of the pubsub layer.
 *
 * - XEP-0060 (Publish-Subscribe) §16.2 "Protocol Namespaces": https://xmpp.org/extensions/xep-0060.html
 * - XEP-0059 (Result Set Management): https://xmpp.org/extensions/xep-0059.html
 * - XEP-0004 (Data Forms), XEP-0030 (Service Discovery), XEP-0131 (SHIM headers)
 * - RFC 6120 §8.3 (stanza errors)
 */
export const NS = {
  pubsub: 'http://jabber.org/protocol/pubsub',
  pubsubOwner: 'http://jabber.org/protocol/pubsub#owner',
  pubsubEvent: 'http://jabber.org/protocol/pubsub#event',
  pubsubErrors: 'http://jabber.org/protocol/pubsub#errors',
  /** Disco feature a service advertises when it pages items with XEP-0059 (XEP-0060 §6.5.4). */
  pubsubRsm: 'http://jabber.org/protocol/pubsub#rsm',
  /**
   * XEP-0059's own feature (§6 "Determining Support"). ejabberd's SQL pubsub backend advertises
   * this one instead of `pubsub#rsm`; its Mnesia backend pages with RSM but advertises neither.
   */
  rsm: 'http://jabber.org/protocol/rsm',
  pubsubPublishOptions: 'http://jabber.org/protocol/pubsub#publish-options',
  pubsubNodeConfig: 'http://jabber.org/protocol/pubsub#node_config',
  pubsubSubscribeOptions: 'http://jabber.org/protocol/pubsub#subscribe_options',
  dataForms: 'jabber:x:data',
  discoInfo: 'http://jabber.org/protocol/disco#info',
  shim: 'http://jabber.org/protocol/shim',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  delay: 'urn:xmpp:delay',
} as const;
