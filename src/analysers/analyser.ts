/**
 * Analysers decide whether and how the pubsub cache synchronises a node, the way Libervia's
 * `pubsub_cache` plugin does with `register_analyser`: a node matches by node-name prefix or
 * by the namespace of its items' root element; the analyser gives the node a type (`blog`,
 * `event`...), says whether to synchronise it, and names the parser that turns each item
 * into JSON for search.
 *
 * @example
 * const blog: AnalyserDefinition = {
 *   name: 'XEP-0277', type: 'blog', node: 'urn:xmpp:microblog:0',
 *   namespace: 'http://www.w3.org/2005/Atom', toSync: true,
 *   parser: { module: 'file:///app/dist/src/parsers/microblog.js', export: 'parseMicroblog' },
 *   indexedPaths: [['published'], ['author', 'jid']], listPaths: [['tags']],
 * };
 */
import type { ParserRef } from '../parsers/parser-protocol.js';

export type { ParserRef } from '../parsers/parser-protocol.js';

/** A path into parsed item JSON: object keys and array indexes, e.g. `['author', 'jid']`. */
export type JsonPath = readonly (string | number)[];

/** What the cache knows about a node when it asks which analyser applies. */
export interface AnalyseRequest {
  readonly nodeName: string;
  /** Namespace of the root element of the node's items, when known. */
  readonly rootNamespace?: string;
  readonly service?: string;
  readonly profile?: string;
}

/**
 * The outcome of a match: the analyser's data for this node. `name` always identifies the
 * analyser (it is what the storage records, to find the analyser again after a restart).
 */
export interface Analysis {
  readonly name: string;
  readonly type: string;
  readonly subtype?: string;
  readonly toSync: boolean;
  readonly parser?: ParserRef;
  readonly indexedPaths: readonly JsonPath[];
  readonly listPaths: readonly JsonPath[];
  /** Set when the match callback threw: the node is then not synchronised. */
  readonly matchError?: string;
}

/**
 * Runs on the main thread once an analyser matched: returns an adjusted analysis (e.g. a
 * `subtype`), `false` to decline the node, or nothing to keep it as it is.
 */
export type AnalyserMatch = (
  request: AnalyseRequest,
  analysis: Analysis,
) => Analysis | false | undefined | Promise<Analysis | false | undefined>;

/** What `registerAnalyser` takes. At least one of `node` and `namespace` is required. */
export interface AnalyserDefinition {
  /** Unique; stored trimmed and lower-cased. */
  readonly name: string;
  /** A human type word: `blog`, `event`, `ticket`... */
  readonly type: string;
  readonly subtype?: string;
  /** Node-name prefix. */
  readonly node?: string;
  /** Namespace of the items' root element. */
  readonly namespace?: string;
  readonly toSync: boolean;
  readonly parser?: ParserRef;
  readonly match?: AnalyserMatch;
  /** Parsed-data paths the storage indexes for filters and ordering. */
  readonly indexedPaths?: readonly JsonPath[];
  /** Parsed-data paths holding lists (tags...) the storage indexes element by element. */
  readonly listPaths?: readonly JsonPath[];
}

/** A registered analyser: the definition, normalised and frozen. */
export interface Analyser extends AnalyserDefinition {
  readonly indexedPaths: readonly JsonPath[];
  readonly listPaths: readonly JsonPath[];
}

/** The analysis an analyser gives before any match callback runs. */
export function baseAnalysis(analyser: Analyser): Analysis {
  const analysis: { -readonly [K in keyof Analysis]: Analysis[K] } = {
    name: analyser.name,
    type: analyser.type,
    toSync: analyser.toSync,
    indexedPaths: analyser.indexedPaths,
    listPaths: analyser.listPaths,
  };
  if (analyser.subtype !== undefined) analysis.subtype = analyser.subtype;
  if (analyser.parser !== undefined) analysis.parser = analyser.parser;
  return analysis;
}

/** Normalises an analyser name the way the registry stores it. */
export function normaliseAnalyserName(name: string): string {
  return name.trim().toLowerCase();
}
