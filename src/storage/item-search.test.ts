import { describe, expect, it } from 'vitest';
import type { ParsedFilter } from './messages.js';
import { OPERATOR_CASES } from './search-data-test-fixture.js';
import { likeToGlob } from './search-filters.js';
import { jsonPathText, parsePathText, pathIndexName } from './search-path.js';
import { type SearchFixture, searchFixture } from './search-test-fixture.js';

/** Names matching one filter, in creation order. */
const match = (f: SearchFixture, filter: ParsedFilter) =>
  f.names({ parsed: [filter], orderBy: 'creation', order: 'asc' });

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
