/**
 * The search test data shared by the sql.js unit tests and the conformance suite that runs on
 * both backends: six items over three nodes, their creation order, and every parsed-data
 * operator with the items it must return.
 */
import type { Json, ParsedFilter } from './messages.js';

export const SEARCH_ITEMS: Record<string, { node: string; parsed?: Json; text: string }> = {
  a1: {
    node: 'blog',
    text: 'hello world',
    parsed: {
      title: 'Hello World',
      n: 1,
      tags: ['xmpp', 'Rust'],
      author: { jid: 'a@x' },
      published: '2024-01-01',
    },
  },
  a2: {
    node: 'blog',
    text: 'hello hello there',
    parsed: { title: 'hello there', n: 2, tags: ['js'], published: '2024-02-01' },
  },
  a3: { node: 'blog', text: 'other', parsed: { title: 'Other', n: 3, tags: [], flag: true } },
  t1: {
    node: 'tickets',
    text: 'bug report',
    parsed: { title: 'Bug 50%', n: 5, tags: ['XMPP', 'bug'], fields: { status: 'open' } },
  },
  m1: { node: 'misc', text: 'misc', parsed: { title: 'x*y', n: 10 } },
  m2: { node: 'misc', text: 'no parsed data' },
};

/** Creation order a1..m2 (1..6); modification order reversed (10..5). */
export const CREATION_ORDER = ['a1', 'a2', 'a3', 't1', 'm1', 'm2'];

/** Each parsed-data operator with the items it matches, in creation order. */
export const OPERATOR_CASES: [ParsedFilter, string[]][] = [
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
