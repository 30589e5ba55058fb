/**
 * The wire protocol between {@link ParserPool} and its Piscina workers: one request per task,
 * one response per task, both plain structured-clone-able data tagged by `type`.
 */

/**
 * Where a parser lives: a compiled ES module (absolute `file:` URL or absolute path) and the
 * name of an export `(xml: string) => unknown` returning JSON-serialisable data. Never a
 * closure: the function runs in a worker thread.
 */
export interface ParserRef {
  readonly module: string;
  readonly export: string;
}

/**
 * How parsed values come back: `value` as structured-cloned data, or `json` as JSON text made
 * in the worker. JSON text is several times cheaper for the main thread to receive (a string
 * copy instead of rebuilding objects) and is what the storage keeps anyway.
 */
export type ParseOutput = 'value' | 'json';

/** One task: parse each item (the XML text of a pubsub item payload) with one parser. */
export interface ParseRequest {
  readonly type: 'parse';
  readonly module: string;
  readonly export: string;
  readonly items: readonly string[];
  readonly output: ParseOutput;
}

/** Why one item failed. */
export interface ParseItemFailure {
  readonly ok: false;
  readonly error: { readonly message: string };
}

/** The outcome of one item: its parsed value, or why that item failed. */
export type ParseItemResult = { readonly ok: true; readonly value: unknown } | ParseItemFailure;

/** The outcome of one item with `output: 'json'`: the parsed value as JSON text. */
export type ParseItemJsonResult = { readonly ok: true; readonly json: string } | ParseItemFailure;

/** A worker's reply: per-item results in input order, or a parser that could not be loaded. */
export type ParseResponse =
  | {
      readonly type: 'parsed';
      readonly results: readonly (ParseItemResult | ParseItemJsonResult)[];
    }
  | { readonly type: 'load-failed'; readonly error: { readonly message: string } };
