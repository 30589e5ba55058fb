import type { EntityStatus } from '../entities/entity-actor.js';
import type { EntityPageQuery } from './fleet-schemas.js';

/**
 * One page of entities of `kind`, filtered by state and name prefix, in the order the list
 * already has (by name). Keyset paging: a page starts after the name `after`, so entities
 * added or removed meanwhile never shift a page (unlike an offset).
 */
export function entityPage(
  all: readonly EntityStatus[],
  kind: EntityStatus['kind'],
  query: EntityPageQuery,
): EntityStatus[] {
  const { after, prefix, state, limit } = query;
  const page: EntityStatus[] = [];
  for (const entity of all) {
    if (entity.kind !== kind) continue;
    if (after !== undefined && entity.name.localeCompare(after) <= 0) continue;
    if (prefix !== undefined && !entity.name.startsWith(prefix)) continue;
    if (state !== undefined && entity.state !== state) continue;
    page.push(entity);
    if (limit !== undefined && page.length >= limit) break;
  }
  return page;
}

/** How many entities of each kind are in each state. */
export interface EntityCounts {
  readonly profiles: { readonly total: number; readonly states: Readonly<Record<string, number>> };
  readonly components: {
    readonly total: number;
    readonly states: Readonly<Record<string, number>>;
  };
}

/** Counts by kind and state in one pass (the status page's summary with 10,000 profiles). */
export function entityCounts(all: readonly EntityStatus[]): EntityCounts {
  const profiles: Record<string, number> = {};
  const components: Record<string, number> = {};
  let clientTotal = 0;
  for (const entity of all) {
    const into = entity.kind === 'client' ? profiles : components;
    if (entity.kind === 'client') clientTotal += 1;
    into[entity.state] = (into[entity.state] ?? 0) + 1;
  }
  return {
    profiles: { total: clientTotal, states: profiles },
    components: { total: all.length - clientTotal, states: components },
  };
}
