import { describe, expect, it } from 'vitest';
import { RosterBook } from './roster-book.js';

const juliet = { jid: 'juliet@capulet.example', subscription: 'both', groups: ['Friends'] };
const nurse = { jid: 'nurse@capulet.example', subscription: 'none', groups: [] };

describe('RosterBook', () => {
  it('takes a full roster with its version, keyed by normalised bare JID', () => {
    const book = new RosterBook();
    const change = book.applyResult({
      kind: 'full',
      ver: 'v1',
      items: [nurse, { ...juliet, jid: 'Juliet@Capulet.Example' }],
    });
    expect(change).toMatchObject({ kind: 'full' });
    expect(book.ver).toBe('v1');
    expect(book.get('juliet@capulet.example/balcony')?.subscription).toBe('both');
    expect(book.list().map((i) => i.jid)).toEqual([
      'Juliet@Capulet.Example',
      'nurse@capulet.example',
    ]);
  });

  it('keeps everything on an unchanged answer', () => {
    const book = RosterBook.fromSnapshot({ ver: 'v1', items: [juliet] });
    expect(book.applyResult({ kind: 'unchanged' })).toBeUndefined();
    expect(book.ver).toBe('v1');
    expect(book.list()).toEqual([juliet]);
  });

  it('applies pushes: set and removal move the version; a push without one drops it', () => {
    const book = RosterBook.fromSnapshot({ ver: 'v1', items: [juliet] });
    expect(book.applyPush({ item: nurse, removed: false, ver: 'v2' })).toEqual({
      kind: 'set',
      item: nurse,
    });
    expect(book.ver).toBe('v2');
    expect(
      book.applyPush({ item: { ...juliet, subscription: 'remove' }, removed: true, ver: 'v3' }),
    ).toEqual({ kind: 'removed', jid: 'juliet@capulet.example' });
    expect(book.list()).toEqual([nurse]);
    book.applyPush({ item: juliet, removed: false });
    expect(book.ver).toBeUndefined();
    expect(book.snapshot()).toEqual({ items: [juliet, nurse] });
  });

  it('survives a snapshot round trip', () => {
    const book = RosterBook.fromSnapshot({ ver: 'v9', items: [juliet, nurse] });
    expect(RosterBook.fromSnapshot(JSON.parse(JSON.stringify(book.snapshot()))).snapshot()).toEqual(
      book.snapshot(),
    );
  });
});
