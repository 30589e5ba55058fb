/**
 * Lookups shared by the PostgreSQL handlers: profile and node ids (with the same typed
 * errors as the sql.js handlers) and the shared node filters as bound conditions.
 */
import { AviaryError } from '../../errors.js';
import { optionalList, requireString } from '../handler-context.js';
import type { NodeFilters } from '../messages.js';
import type { Params, PgAccess, PgContext } from './pg-access.js';

/** The id of a profile, or a `storage.unknown-profile` error. */
export async function profileId(db: PgAccess, name: unknown): Promise<number> {
  const profile = requireString(name, 'profile');
  const row = await db.get('SELECT id FROM profiles WHERE name = $1', [profile]);
  if (row === undefined) {
    throw new AviaryError(
      'storage.unknown-profile',
      `no profile named ${JSON.stringify(profile)}`,
      {
        details: { profile },
      },
    );
  }
  return Number(row.id);
}

/**
 * The id of a node, or a `storage.unknown-profile` / `storage.unknown-node` error; one round
 * trip for both lookups.
 */
export async function nodeId(
  ctx: PgContext,
  req: { profile: string; service: string; node: string },
): Promise<number> {
  const profile = requireString(req.profile, 'profile');
  let names: [string, string];
  try {
    names = [requireString(req.service, 'service'), requireString(req.node, 'node')];
  } catch (error) {
    await profileId(ctx.db, profile); // an unknown profile is reported first, as on sql.js
    throw error;
  }
  const row = await ctx.db.get(
    'SELECT n.id FROM profiles p LEFT JOIN pubsub_nodes n ON n.profile_id = p.id AND n.service = $2 AND n.name = $3 WHERE p.name = $1',
    [profile, ...names],
  );
  if (row === undefined) {
    throw new AviaryError(
      'storage.unknown-profile',
      `no profile named ${JSON.stringify(profile)}`,
      {
        details: { profile },
      },
    );
  }
  if (row.id === null) {
    throw new AviaryError('storage.unknown-node', `no cached node ${req.service} ${req.node}`, {
      details: { profile: req.profile, service: req.service, node: req.node },
    });
  }
  return Number(row.id);
}

function inFilter(
  column: string,
  values: readonly (string | null)[] | undefined,
  where: string[],
  params: Params,
): void {
  if (values === undefined) return;
  const strings = values.filter((v): v is string => v !== null);
  const parts: string[] = [];
  if (strings.length > 0) parts.push(`${column} = ANY(${params.add(strings)}::text[])`);
  if (strings.length !== values.length) parts.push(`${column} IS NULL`);
  where.push(parts.length === 0 ? 'false' : `(${parts.join(' OR ')})`);
}

/** Conditions over `pubsub_nodes n` joined with `profiles p` for the shared node filters. */
export function nodeFilterSql(filters: NodeFilters, params: Params): string[] {
  const where: string[] = [];
  inFilter('p.name', optionalList(filters.profiles, 'profiles'), where, params);
  inFilter('n.service', optionalList(filters.services, 'services'), where, params);
  inFilter('n.name', optionalList(filters.nodes, 'nodes'), where, params);
  inFilter('n.type', optionalList(filters.types, 'types', true), where, params);
  inFilter('n.subtype', optionalList(filters.subtypes, 'subtypes', true), where, params);
  return where;
}
