import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import type { AnalyserDefinition } from './analyser.js';
import { createAnalyserRegistry } from './analyser-registry.js';

const parser = { module: '/app/dist/src/parsers/microblog.js', export: 'parseMicroblog' };
const blog: AnalyserDefinition = {
  name: '  XEP-0277 ',
  type: 'blog',
  node: 'urn:xmpp:microblog:0',
  namespace: 'http://www.w3.org/2005/Atom',
  toSync: true,
  parser,
  indexedPaths: [['published'], ['author', 'jid']],
  listPaths: [['tags']],
};

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectInvalid(definition: unknown, field: string, message: RegExp): void {
  const error = errorOf(() =>
    createAnalyserRegistry().registerAnalyser(definition as AnalyserDefinition),
  );
  expect(isAviaryError(error, 'analyser.invalid')).toBe(true);
  expect((error as Error).message).toMatch(message);
  if (field !== '') expect((error as { details: { field: string } }).details.field).toBe(field);
}

describe('registerAnalyser validation', () => {
  it('stores the name trimmed and lower-cased and freezes the analyser', () => {
    const registry = createAnalyserRegistry();
    registry.registerAnalyser(blog);
    const stored = registry.get('xep-0277');
    expect(stored?.name).toBe('xep-0277');
    expect(registry.get('  XEP-0277')).toBe(stored);
    expect(Object.isFrozen(stored)).toBe(true);
    expect(stored?.indexedPaths).toEqual([['published'], ['author', 'jid']]);
  });

  it.each([
    [null, '', /must be an object/],
    [{ ...blog, name: 42 }, 'name', /name must be a string/],
    [{ ...blog, name: '   ' }, 'name', /name must not be empty/],
    [{ ...blog, type: undefined }, 'type', /type must be a string/],
    [{ ...blog, type: '' }, 'type', /type must not be empty/],
    [{ ...blog, subtype: '' }, 'subtype', /subtype must not be empty/],
    [{ ...blog, node: undefined, namespace: undefined }, 'node', /node or namespace is required/],
    [{ ...blog, node: ' ' }, 'node', /node must not be empty/],
    [{ ...blog, namespace: 3 }, 'namespace', /namespace must be a string/],
    [{ ...blog, toSync: 'yes' }, 'toSync', /toSync must be true or false/],
    [{ ...blog, toSync: undefined }, 'toSync', /toSync must be true or false/],
    [{ ...blog, to_sync: true }, 'to_sync', /not an analyser field/],
    [{ ...blog, parser: () => ({}) }, 'parser', /not a function/],
    [{ ...blog, parser: 'microblog.js' }, 'parser', /must be \{ module, export \}/],
    [{ ...blog, parser: { export: 'x' } }, 'parser.module', /non-empty string/],
    [{ ...blog, parser: { module: './rel.js', export: 'x' } }, 'parser.module', /absolute path/],
    [{ ...blog, parser: { module: '/a.js' } }, 'parser.export', /exported function/],
    [{ ...blog, parser: { module: '/a.js', export: 'not valid' } }, 'parser.export', /exported/],
    [{ ...blog, match: 'cb' }, 'match', /must be a function/],
    [{ ...blog, indexedPaths: 'published' }, 'indexedPaths', /array of paths/],
    [{ ...blog, indexedPaths: [[]] }, 'indexedPaths[0]', /non-empty array/],
    [{ ...blog, indexedPaths: ['published'] }, 'indexedPaths[0]', /non-empty array/],
    [{ ...blog, indexedPaths: [['a', '']] }, 'indexedPaths[0][1]', /non-empty string/],
    [{ ...blog, listPaths: [['tags', -1]] }, 'listPaths[0][1]', /non-negative integer/],
    [{ ...blog, listPaths: [['tags', 1.5]] }, 'listPaths[0][1]', /non-negative integer/],
    [{ ...blog, listPaths: [['tags', null]] }, 'listPaths[0][1]', /got null/],
    [{ ...blog, listPaths: [['tags'], ['tags']] }, 'listPaths[1]', /repeats/],
    [{ ...blog, indexedPaths: [Array(17).fill('a')] }, 'indexedPaths[0]', /deeper/],
  ])('rejects %j (field %s)', (definition, field, message) => {
    expectInvalid(definition, field, message);
  });

  it('accepts paths with array indexes, a file: URL parser and a namespace-only analyser', () => {
    const registry = createAnalyserRegistry();
    registry.registerAnalyser({
      name: 'forms',
      type: 'list',
      namespace: 'jabber:x:data',
      toSync: false,
      parser: { module: 'file:///app/dist/src/parsers/data-form.js', export: 'parseDataForm' },
      indexedPaths: [['items', 0, 'name']],
    });
    expect(registry.get('forms')?.indexedPaths).toEqual([['items', 0, 'name']]);
    expect(registry.get('forms')?.listPaths).toEqual([]);
  });

  it('rejects a duplicate name after normalisation', () => {
    const registry = createAnalyserRegistry();
    registry.registerAnalyser(blog);
    const error = errorOf(() => registry.registerAnalyser({ ...blog, name: 'xep-0277' }));
    expect(isAviaryError(error, 'analyser.duplicate')).toBe(true);
    expect((error as Error).message).toContain('"xep-0277"');
  });

  it('unregisters only its own registration', () => {
    const registry = createAnalyserRegistry();
    const first = registry.registerAnalyser(blog);
    first();
    expect(registry.get('xep-0277')).toBeUndefined();
    registry.registerAnalyser({ ...blog, type: 'blog2' });
    first();
    expect(registry.get('xep-0277')?.type).toBe('blog2');
  });

  it('keeps registries independent', () => {
    const a = createAnalyserRegistry();
    const b = createAnalyserRegistry();
    a.registerAnalyser(blog);
    expect(b.get('xep-0277')).toBeUndefined();
    expect(() => b.registerAnalyser(blog)).not.toThrow();
  });
});

describe('analyse', () => {
  const events: AnalyserDefinition = {
    name: 'events',
    type: 'event',
    node: 'urn:xmpp:events:0',
    namespace: 'urn:xmpp:events:0',
    toSync: true,
  };

  it('matches by node prefix or root namespace and returns undefined otherwise', async () => {
    const registry = createAnalyserRegistry();
    registry.registerAnalyser(blog);
    registry.registerAnalyser(events);
    expect((await registry.analyse({ nodeName: 'urn:xmpp:microblog:0' }))?.name).toBe('xep-0277');
    expect((await registry.analyse({ nodeName: 'urn:xmpp:microblog:0:comments/abc' }))?.type).toBe(
      'blog',
    );
    const byNamespace = await registry.analyse({
      nodeName: 'my-blog',
      rootNamespace: 'http://www.w3.org/2005/Atom',
    });
    expect(byNamespace).toEqual({
      name: 'xep-0277',
      type: 'blog',
      toSync: true,
      parser,
      indexedPaths: [['published'], ['author', 'jid']],
      listPaths: [['tags']],
    });
    expect(await registry.analyse({ nodeName: 'urn:xmpp:avatar:data' })).toBeUndefined();
    expect(await registry.analyse({ nodeName: 'x', rootNamespace: 'urn:other' })).toBeUndefined();
  });

  it('picks the first match in registration order', async () => {
    const registry = createAnalyserRegistry();
    registry.registerAnalyser({
      name: 'generic',
      type: 'generic',
      node: 'urn:xmpp:',
      toSync: false,
    });
    registry.registerAnalyser(blog);
    expect((await registry.analyse({ nodeName: 'urn:xmpp:microblog:0' }))?.name).toBe('generic');
    const other = createAnalyserRegistry();
    other.registerAnalyser(blog);
    other.registerAnalyser({ name: 'generic', type: 'generic', node: 'urn:xmpp:', toSync: false });
    expect((await other.analyse({ nodeName: 'urn:xmpp:microblog:0' }))?.name).toBe('xep-0277');
  });

  it('lets the match callback adjust, keep, or decline (then the next analyser is tried)', async () => {
    const registry = createAnalyserRegistry();
    const seen: string[] = [];
    registry.registerAnalyser({
      ...blog,
      match: (request, analysis) => {
        seen.push(request.nodeName);
        if (request.nodeName.endsWith('private')) return false;
        if (request.nodeName.includes(':comments/')) {
          return { ...analysis, subtype: 'comment', name: 'renamed' };
        }
        return undefined;
      },
    });
    registry.registerAnalyser({ ...events, name: 'fallback', node: 'urn:xmpp:' });
    const comment = await registry.analyse({ nodeName: 'urn:xmpp:microblog:0:comments/1' });
    expect(comment?.subtype).toBe('comment');
    expect(comment?.name).toBe('xep-0277');
    expect((await registry.analyse({ nodeName: 'urn:xmpp:microblog:0' }))?.subtype).toBeUndefined();
    expect((await registry.analyse({ nodeName: 'urn:xmpp:microblog:0:private' }))?.name).toBe(
      'fallback',
    );
    expect(seen).toHaveLength(3);
  });

  it('does not synchronise when the match callback throws (sync or async)', async () => {
    const registry = createAnalyserRegistry();
    registry.registerAnalyser({
      ...blog,
      match: async () => {
        throw new Error('boom');
      },
    });
    const analysis = await registry.analyse({ nodeName: 'urn:xmpp:microblog:0' });
    expect(analysis?.toSync).toBe(false);
    expect(analysis?.matchError).toBe('boom');
  });

  it('does not synchronise when the match callback returns a malformed analysis', async () => {
    const registry = createAnalyserRegistry();
    registry.registerAnalyser({
      ...blog,
      match: (_request, analysis) => ({ ...analysis, toSync: 'yes' as unknown as boolean }),
    });
    const analysis = await registry.analyse({ nodeName: 'urn:xmpp:microblog:0' });
    expect(analysis?.toSync).toBe(false);
    expect(analysis?.matchError).toMatch(/toSync/);
  });

  it('lists analysers in registration order', () => {
    const registry = createAnalyserRegistry();
    registry.registerAnalyser(events);
    registry.registerAnalyser(blog);
    expect(registry.list().map((a) => a.name)).toEqual(['events', 'xep-0277']);
  });
});
