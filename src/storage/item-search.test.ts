import { describe, expect, it } from 'vitest';
import type { ParsedFilter } from './messages.js';
import { likeToGlob } from './search-filters.js';
import { jsonPathText, parsePathText, pathIndexName } from './search-path.js';
import { type SearchFixture, searchFixture } from './search-test-fixture.js';

/** Names matching one filter, in creation order. */
const match = (f: SearchFixture, filter: ParsedFilter) =>
  f.names({ parsed: [filter], orderBy: 'creation', order: 'asc' });

const OPERATOR_CASES: [ParsedFilter, string[]][] = [
  [{ path: ['title'], op: '==', value: 'Hello World' }, ['a1']],
  [{ path: ['n'], op: 'eq', value: 2 }, ['a2']],
  [{ path: ['flag'], op: 'eq', value: true }, ['a3']],
  [{ path: ['n'], op: 'eq', value: null }, ['m2']],
  [{ path: ['n'], op: '!=', value: 2 }, ['a1', 'a3', 't1', 'm1', 'm2']],
  [{ path: ['n'], op: 'ne', value: null }, ['a1', 'a2', 'a3', 't1', 'm1']],
  [{ path: ['n'], op: '>', value: 2 }, ['a3', 't1', 'm1']],
  [{ path: ['n'], op: 'gt', value: 5 }, ['m1']],
  [{ path: ['n'], op: '>=', value: 5 }, ['t1', 'm1']],
  [{ path: ['n'], op: 'ge', value: 3 }, ['a3', 't1', 'm1']],
  // Strictly less: Libervia's `<` would include a3 (n = 3).
  [{ path: ['n'], op: '<', value: 3 }, ['a1', 'a2']],
  [{ path: ['n'], op: 'lt', value: 1 }, []],
  [{ path: ['n'], op: '<=', value: 3 }, ['a1', 'a2', 'a3']],
  [{ path: ['n'], op: 'le', value: 1 }, ['a1']],
  [{ path: ['published'], op: 'lt', value: '2024-02-01' }, ['a1']],
  [{ path: ['n'], op: 'between', value: [2, 5] }, ['a2', 'a3', 't1']],
  [{ path: ['n'], op: 'in', value: [1, 10] }, ['a1', 'm1']],
  [{ path: ['n'], op: 'not_in', value: [1, 10] }, ['a2', 'a3', 't1', 'm2']],
  [{ path: ['tags'], op: 'overlap', value: ['xmpp', 'js'] }, ['a1', 'a2']],
  [{ path: ['tags'], op: 'overlap', value: 'bug' }, ['t1']],
  [{ path: ['tags'], op: 'ioverlap', value: ['xmpp'] }, ['a1', 't1']],
  [{ path: ['tags'], op: 'ioverlap', value: ['RUST', 'nope'] }, ['a1']],
  [{ path: ['tags'], op: 'disjoint', value: ['xmpp', 'js'] }, ['a3', 't1', 'm1', 'm2']],
  [{ path: ['tags'], op: 'idisjoint', value: ['XMPP'] }, ['a2', 'a3', 'm1', 'm2']],
  [{ path: ['title'], op: 'like', value: 'hello%' }, ['a2']],
  [{ path: ['title'], op: 'like', value: 'Bug 5_\\%' }, []],
  [{ path: ['title'], op: 'like', value: 'Bug 5_%' }, ['t1']],
  [{ path: ['title'], op: 'like', value: 'x*y' }, ['m1']],
  [{ path: ['title'], op: 'like', value: 'x*' }, []],
  [{ path: ['title'], op: 'ilike', value: 'hello%' }, ['a1', 'a2']],
  [{ path: ['title'], op: 'not_like', value: 'hello%' }, ['a1', 'a3', 't1', 'm1', 'm2']],
  [{ path: ['title'], op: 'not_ilike', value: 'HELLO%' }, ['a3', 't1', 'm1', 'm2']],
  [{ path: ['author', 'jid'], op: 'eq', value: 'a@x' }, ['a1']],
  [{ path: ['tags', 0], op: 'eq', value: 'XMPP' }, ['t1']],
  [{ path: ['fields', 'status'], op: '==', value: 'open' }, ['t1']],
];

describe('pubsub.items.search: parsed-data operators', () => {
  for (const listPaths of [false, true]) {
    it(`every operator returns the expected items (${listPaths ? 'tags as a list path' : 'json_each scan'})`, async () => {
      const f = await searchFixture();
      if (listPaths) {
        expect(f.request({ type: 'pubsub.paths.ensure', listPaths: [['tags']] })).toEqual({
          indexes: [],
          listPaths: ['$.tags'],
        });
        const values = f.db.all('SELECT value FROM pubsub_item_values ORDER BY value');
        expect(values.map((r) => r.value)).toEqual(['Rust', 'XMPP', 'bug', 'js', 'xmpp']);
      }
      for (const [filter, expected] of OPERATOR_CASES) {
        expect({ filter, got: match(f, filter) }).toEqual({ filter, got: expected });
      }
      // Several filters combine with AND.
      expect(
        f.names({
          parsed: [
            { path: ['n'], op: 'lt', value: 5 },
            { path: ['tags'], op: 'ioverlap', value: ['XMPP', 'JS'] },
          ],
        }),
      ).toEqual(['a2', 'a1']);
    });
  }
});

describe('search paths', () => {
  it('path text, parsing and deterministic index names', () => {
    expect(jsonPathText(['items', 2, 'name'])).toBe('$.items[2].name');
    expect(parsePathText('items[2].name')).toEqual(['items', 2, 'name']);
    expect(parsePathText('tags[0]')).toEqual(['tags', 0]);
    expect(parsePathText('title')).toEqual(['title']);
    for (const bad of [
      '',
      'a..b',
      '.a',
      'a.',
      '[0]',
      'a.[0]',
      "a'); DROP TABLE x;--",
      '$.a',
      'a b',
    ]) {
      expect(() => parsePathText(bad)).toThrow(
        expect.objectContaining({ code: 'storage.bad-argument' }),
      );
    }
    expect(pathIndexName(['published'])).toBe(pathIndexName(['published']));
    expect(pathIndexName(['published'])).toMatch(/^pubsub_items_path_[0-9a-f]{16}$/);
    expect(pathIndexName(['published'])).not.toBe(pathIndexName(['updated']));
    expect(likeToGlob('a%b_c*d?e[f')).toBe('a*b?c[*]d[?]e[[]f');
  });
});
