/**
 * The analysers Aviary ships, matching those Libervia registers:
 * - XEP-0277 microblogs (https://xmpp.org/extensions/xep-0277.html): type `blog`; nodes under
 *   `urn:xmpp:microblog:0`, or any node whose items are Atom entries; comment nodes
 *   (`urn:xmpp:microblog:0:comments/...`) get subtype `comment`.
 * - XEP-0346 form-based lists (https://xmpp.org/extensions/xep-0346.html) of tickets: type
 *   `ticket`; nodes under `urn:xmpp:tickets:0`, items are XEP-0004 `jabber:x:data` forms.
 *   Only the node prefix selects it: other data-form nodes are not tickets.
 *
 * Parser references point at the compiled parser modules, so they load in worker threads.
 *
 * @example
 * for (const analyser of builtinAnalysers()) registry.registerAnalyser(analyser);
 */
import { ATOM_NS } from '../parsers/microblog.js';
import { workerEntry } from '../util/worker-entry.js';
import type { AnalyserDefinition, AnalyserMatch } from './analyser.js';

export const NS_MICROBLOG = 'urn:xmpp:microblog:0';
export const NS_MICROBLOG_COMMENTS_PREFIX = 'urn:xmpp:microblog:0:comments/';
export const NS_TICKETS = 'urn:xmpp:tickets:0';

/** Marks XEP-0277 comment nodes (Libervia's `_cache_node_match_cb`). */
export const microblogMatch: AnalyserMatch = (request, analysis) =>
  request.nodeName.startsWith(NS_MICROBLOG_COMMENTS_PREFIX)
    ? { ...analysis, subtype: 'comment' }
    : undefined;

/** The XEP-0277 analyser. */
export function microblogAnalyser(): AnalyserDefinition {
  return {
    name: 'XEP-0277',
    type: 'blog',
    node: NS_MICROBLOG,
    namespace: ATOM_NS,
    toSync: true,
    parser: {
      module: workerEntry(import.meta.url, '../parsers/microblog.js').href,
      export: 'parseMicroblog',
    },
    match: microblogMatch,
    indexedPaths: [['published'], ['updated'], ['author', 'jid']],
    listPaths: [['tags']],
  };
}

/** The XEP-0346 tickets analyser. */
export function ticketsAnalyser(): AnalyserDefinition {
  return {
    name: 'tickets',
    type: 'ticket',
    node: NS_TICKETS,
    toSync: true,
    parser: {
      module: workerEntry(import.meta.url, '../parsers/data-form.js').href,
      export: 'parseDataForm',
    },
    indexedPaths: [
      ['fields', 'status'],
      ['fields', 'priority'],
      ['fields', 'severity'],
      ['fields', 'reporter'],
    ],
    listPaths: [
      ['fields', 'labels'],
      ['fields', 'assigned_to'],
    ],
  };
}

/** Every built-in analyser, in the order they should be registered. */
export function builtinAnalysers(): AnalyserDefinition[] {
  return [microblogAnalyser(), ticketsAnalyser()];
}
