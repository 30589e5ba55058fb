/**
 * Checks an {@link AnalyserDefinition} and returns its normalised, frozen form, or throws an
 * `analyser.invalid` AviaryError that says which field is wrong and why.
 */
import { isAbsolute } from 'node:path';
import { AviaryError } from '../errors.js';
import {
  type Analyser,
  type AnalyserDefinition,
  type JsonPath,
  normaliseAnalyserName,
} from './analyser.js';

const KNOWN_KEYS = new Set([
  'name',
  'type',
  'subtype',
  'node',
  'namespace',
  'toSync',
  'parser',
  'match',
  'indexedPaths',
  'listPaths',
]);

const MAX_PATH_DEPTH = 16;

/** Validates and normalises; see the module comment. */
export function validateAnalyser(definition: AnalyserDefinition): Analyser {
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw invalid('', 'an analyser must be an object');
  }
  const raw = definition as unknown as Record<string, unknown>;
  const label = typeof raw['name'] === 'string' ? raw['name'] : '';
  const fail = (field: string, why: string) => invalid(label, `${field} ${why}`, field);

  const unknown = Object.keys(raw).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length > 0) {
    throw fail(unknown[0]!, `is not an analyser field (unknown: ${unknown.join(', ')})`);
  }
  const name = requiredText(raw, 'name', fail);
  const type = requiredText(raw, 'type', fail);
  const subtype = optionalText(raw, 'subtype', fail);
  const node = optionalText(raw, 'node', fail);
  const namespace = optionalText(raw, 'namespace', fail);
  if (node === undefined && namespace === undefined) {
    throw fail('node', 'or namespace is required: an analyser must say which nodes it matches');
  }
  if (typeof raw['toSync'] !== 'boolean') throw fail('toSync', 'must be true or false');
  const match = raw['match'];
  if (match !== undefined && typeof match !== 'function') {
    throw fail('match', 'must be a function when given');
  }

  const analyser: { -readonly [K in keyof Analyser]: Analyser[K] } = {
    name: normaliseAnalyserName(name),
    type,
    toSync: raw['toSync'],
    indexedPaths: paths(raw['indexedPaths'], 'indexedPaths', fail),
    listPaths: paths(raw['listPaths'], 'listPaths', fail),
  };
  if (subtype !== undefined) analyser.subtype = subtype;
  if (node !== undefined) analyser.node = node;
  if (namespace !== undefined) analyser.namespace = namespace;
  if (raw['parser'] !== undefined) analyser.parser = parserRef(raw['parser'], fail);
  if (match !== undefined) analyser.match = match as Analyser['match'];
  return Object.freeze(analyser);
}

type Fail = (field: string, why: string) => AviaryError;

function requiredText(raw: Record<string, unknown>, field: string, fail: Fail): string {
  const value = raw[field];
  if (typeof value !== 'string') throw fail(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed === '') throw fail(field, 'must not be empty');
  return trimmed;
}

function optionalText(raw: Record<string, unknown>, field: string, fail: Fail): string | undefined {
  return raw[field] === undefined ? undefined : requiredText(raw, field, fail);
}

function parserRef(value: unknown, fail: Fail): Analyser['parser'] {
  if (typeof value === 'function') {
    throw fail(
      'parser',
      'must be { module, export }, not a function: parsers run in worker threads and are loaded by module and export name',
    );
  }
  if (typeof value !== 'object' || value === null)
    throw fail('parser', 'must be { module, export }');
  const ref = value as Record<string, unknown>;
  const module = ref['module'];
  const exportName = ref['export'];
  if (typeof module !== 'string' || module.trim() === '') {
    throw fail('parser.module', 'must be a non-empty string');
  }
  if (!module.startsWith('file:') && !isAbsolute(module)) {
    throw fail('parser.module', `must be a file: URL or an absolute path, got "${module}"`);
  }
  if (typeof exportName !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(exportName)) {
    throw fail('parser.export', 'must be the name of an exported function');
  }
  return Object.freeze({ module, export: exportName });
}

function paths(value: unknown, field: string, fail: Fail): readonly JsonPath[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) throw fail(field, 'must be an array of paths');
  const seen = new Set<string>();
  return Object.freeze(
    value.map((path, i) => {
      const where = `${field}[${i}]`;
      if (!Array.isArray(path) || path.length === 0) {
        throw fail(where, 'must be a non-empty array of keys');
      }
      if (path.length > MAX_PATH_DEPTH) throw fail(where, `is deeper than ${MAX_PATH_DEPTH}`);
      for (const [j, segment] of path.entries()) {
        const ok =
          (typeof segment === 'string' && segment !== '') ||
          (typeof segment === 'number' && Number.isSafeInteger(segment) && segment >= 0);
        if (!ok) {
          throw fail(
            `${where}[${j}]`,
            `must be a non-empty string or a non-negative integer, got ${JSON.stringify(segment)}`,
          );
        }
      }
      const key = JSON.stringify(path);
      if (seen.has(key)) throw fail(where, `repeats the path ${key}`);
      seen.add(key);
      return Object.freeze([...path]) as JsonPath;
    }),
  );
}

function invalid(name: string, message: string, field?: string): AviaryError {
  const prefix = name === '' ? 'invalid analyser' : `invalid analyser "${name}"`;
  return new AviaryError('analyser.invalid', `${prefix}: ${message}`, {
    details: field === undefined ? { name } : { name, field },
  });
}
