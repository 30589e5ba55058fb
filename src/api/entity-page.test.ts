import { describe, expect, it } from 'vitest';
import type { EntityStatus } from '../entities/entity-actor.js';
import { entityCounts, entityPage } from './entity-page.js';

const entity = (
  name: string,
  state: EntityStatus['state'],
  kind: EntityStatus['kind'] = 'client',
) => ({ kind, name, jid: `${name}@x`, state, reconnectAttempts: 0 }) satisfies EntityStatus;

const all = [
  entity('a1', 'online'),
  entity('a2', 'offline'),
  entity('b1', 'online'),
  entity('c1', 'online', 'component'),
  entity('b2', 'auth-failed'),
  entity('b3', 'online'),
];

const names = (rows: EntityStatus[]) => rows.map((r) => r.name);

describe('entity pages', () => {
  it('pages by name: each page starts after the last name of the one before', () => {
    const first = entityPage(all, 'client', { limit: 2 });
    expect(names(first)).toEqual(['a1', 'a2']);
    const second = entityPage(all, 'client', { limit: 2, after: 'a2' });
    expect(names(second)).toEqual(['b1', 'b2']);
    expect(names(entityPage(all, 'client', { limit: 2, after: 'b2' }))).toEqual(['b3']);
    expect(entityPage(all, 'client', { limit: 2, after: 'b3' })).toEqual([]);
  });

  it('filters by kind, state and name prefix together', () => {
    expect(names(entityPage(all, 'client', {}))).toEqual(['a1', 'a2', 'b1', 'b2', 'b3']);
    expect(names(entityPage(all, 'component', {}))).toEqual(['c1']);
    expect(names(entityPage(all, 'client', { state: 'online' }))).toEqual(['a1', 'b1', 'b3']);
    expect(names(entityPage(all, 'client', { prefix: 'b', state: 'online', limit: 1 }))).toEqual([
      'b1',
    ]);
    expect(names(entityPage(all, 'client', { prefix: 'b', state: 'online', after: 'b1' }))).toEqual(
      ['b3'],
    );
  });
});

describe('entity counts', () => {
  it('counts each kind by state', () => {
    expect(entityCounts(all)).toEqual({
      profiles: { total: 5, states: { online: 3, offline: 1, 'auth-failed': 1 } },
      components: { total: 1, states: { online: 1 } },
    });
  });
});
