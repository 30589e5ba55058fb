/**
 * Piscina worker for {@link ParserPool}: loads the parser module named by each task (cached per
 * thread), parses every item and reports per-item results, so one bad item does not lose the
 * others. Never throws for a bad item or an unloadable module: those are response values.
 * Imports nothing from the actor system.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  ParseItemJsonResult,
  ParseItemResult,
  ParseRequest,
  ParseResponse,
} from './parser-protocol.js';

type ParserFunction = (xml: string) => unknown;

// Per-thread cache of loaded parser functions, keyed by module URL and export name. A worker
// module is the one place a cache must live at module level: Piscina calls a bare function.
const parsers = new Map<string, Promise<ParserFunction>>();

function moduleUrl(module: string): string {
  if (module.startsWith('file:')) return module;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  throw new Error(`parser module must be a file: URL or an absolute path, got "${module}"`);
}

async function loadParser(module: string, exportName: string): Promise<ParserFunction> {
  const url = moduleUrl(module);
  const loaded = (await import(url)) as Record<string, unknown>;
  const parser = loaded[exportName];
  if (typeof parser !== 'function') {
    throw new Error(`module ${url} has no function export "${exportName}"`);
  }
  return parser as ParserFunction;
}

function getParser(module: string, exportName: string): Promise<ParserFunction> {
  const key = `${module}#${exportName}`;
  let parser = parsers.get(key);
  if (parser === undefined) {
    parser = loadParser(module, exportName);
    parsers.set(key, parser);
    parser.catch(() => parsers.delete(key));
  }
  return parser;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Piscina task handler. */
export default async function parse(request: ParseRequest): Promise<ParseResponse> {
  let parser: ParserFunction;
  try {
    parser = await getParser(request.module, request.export);
  } catch (error) {
    return { type: 'load-failed', error: { message: message(error) } };
  }
  const results: (ParseItemResult | ParseItemJsonResult)[] = [];
  for (const item of request.items) {
    try {
      let value = parser(item);
      if (value instanceof Promise) value = await value;
      if (request.output === 'json') {
        const json = JSON.stringify(value);
        if (json === undefined) throw new Error('parser returned a value with no JSON form');
        results.push({ ok: true, json });
      } else {
        results.push({ ok: true, value });
      }
    } catch (error) {
      results.push({ ok: false, error: { message: message(error) } });
    }
  }
  return { type: 'parsed', results };
}
