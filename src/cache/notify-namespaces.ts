/**
 * The namespaces (node names) a client advertises with `+notify` in its entity capabilities
 * (XEP-0115, https://xmpp.org/extensions/xep-0115.html) so PEP services (XEP-0163 §4,
 * https://xmpp.org/extensions/xep-0163.html#approach-filter) push notifications of those nodes:
 * PEP sends them by presence and interest, not by explicit subscription (which PEP services
 * often refuse). Advertise `${namespace}+notify` for each.
 */
import type { Analyser } from '../analysers/index.js';

/**
 * Node prefixes of analysers that synchronise, plus the names of nodes being or already
 * synchronised; sorted, without duplicates.
 *
 * @example
 * notifyNamespaces(registry.list(), []) // ['urn:xmpp:microblog:0', 'urn:xmpp:tickets:0']
 */
export function notifyNamespaces(
  analysers: readonly Pick<Analyser, 'node' | 'toSync'>[],
  syncedNodes: readonly { readonly target: { readonly node: string } }[],
): string[] {
  const names = new Set<string>();
  for (const analyser of analysers) {
    if (analyser.toSync && analyser.node !== undefined) names.add(analyser.node);
  }
  for (const entry of syncedNodes) names.add(entry.target.node);
  return [...names].sort();
}
