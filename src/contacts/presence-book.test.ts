import { describe, expect, it } from 'vitest';
import { PresenceBook } from './presence-book.js';

const available = (from: string, priority = 0, show: 'online' | 'away' = 'online') => ({
  from,
  available: true,
  show,
  priority,
});

describe('PresenceBook', () => {
  it('keeps available resources per bare JID, best priority first', () => {
    const book = new PresenceBook();
    book.update(available('juliet@capulet.example/balcony', 1, 'away'));
    const update = book.update(available('Juliet@Capulet.Example/chamber', 5));
    expect(update).toEqual({
      jid: 'juliet@capulet.example',
      resource: 'chamber',
      available: true,
      show: 'online',
      priority: 5,
    });
    expect(book.of('juliet@capulet.example')?.resources.map((r) => r.resource)).toEqual([
      'chamber',
      'balcony',
    ]);
  });

  it('forgets a resource that leaves, and every resource when the bare JID leaves', () => {
    const book = new PresenceBook();
    book.update(available('juliet@capulet.example/balcony'));
    book.update(available('juliet@capulet.example/chamber'));
    const gone = book.update({
      from: 'juliet@capulet.example/balcony',
      available: false,
      show: 'online',
      priority: 0,
    });
    expect(gone).toMatchObject({ available: false, show: 'offline', resource: 'balcony' });
    expect(book.of('juliet@capulet.example')?.resources.map((r) => r.resource)).toEqual([
      'chamber',
    ]);
    book.update({ from: 'juliet@capulet.example', available: false, show: 'online', priority: 0 });
    expect(book.list()).toEqual([]);
  });

  it('ignores an invalid sender and clears on demand', () => {
    const book = new PresenceBook();
    expect(book.update(available('not a jid@'))).toBeUndefined();
    book.update(available('nurse@capulet.example/kitchen'));
    book.clear();
    expect(book.list()).toEqual([]);
  });
});
