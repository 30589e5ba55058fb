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
