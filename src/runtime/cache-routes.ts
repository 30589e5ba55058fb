import { z } from 'zod';
import type { Route } from '../api/control-server.js';
import { HttpError } from '../api/http-errors.js';
import { parseBody } from '../api/request-schemas.js';
import type { PubsubCacheClient } from '../cache/cache-client.js';

const target = { profile: z.string().min(1), service: z.string().min(1), node: z.string().min(1) };
const strings = z.array(z.string()).max(1000);

const itemsBody = z
  .object({
    ...target,
    maxItems: z.number().int().positive().optional(),
    itemIds: strings.optional(),
    rsm: z
      .object({
        max: z.number().int().min(0).optional(),
        before: z.string().optional(),
        after: z.string().optional(),
        index: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    orderBy: z.enum(['creation', 'modification']).optional(),
    useCache: z.boolean().optional(),
  })
  .strict();

const syncBody = z.object({ ...target, resync: z.boolean().optional() }).strict();

const purgeBody = z
  .object({
    profiles: strings.optional(),
    services: strings.optional(),
    nodes: strings.optional(),
    types: z.array(z.string().nullable()).optional(),
    subtypes: z.array(z.string().nullable()).optional(),
    createdBefore: z.number().optional(),
    updatedBefore: z.number().optional(),
  })
  .strict();

const resetBody = z.object({ profiles: strings.optional() }).strict();

/** Control API endpoints of the pubsub cache (mirroring the library's cache calls). */
export function cacheRoutes(cache: () => PubsubCacheClient): Route[] {
  return [
    {
      method: 'POST',
      path: '/cache/items',
      async handle({ body }) {
        const { profile, service, node, ...request } = parseBody(itemsBody, body);
        return { body: await cache().getItems({ profile, service, node }, request) };
      },
    },
    {
      method: 'POST',
      path: '/cache/sync',
      async handle({ body }) {
        const { resync, ...node } = parseBody(syncBody, body);
        return { body: await cache().synchronise(node, resync ?? true) };
      },
    },
    {
      method: 'GET',
      path: '/cache/node',
      async handle({ query }) {
        const profile = query.get('profile');
        const service = query.get('service');
        const node = query.get('node');
        if (!profile || !service || !node)
          throw new HttpError(400, 'profile, service and node are required');
        const info = await cache().node({ profile, service, node });
        if (info === null)
          throw new HttpError(404, `node ${node} of ${service} is not cached for ${profile}`);
        return { body: info };
      },
    },
    {
      method: 'POST',
      path: '/cache/purge',
      async handle({ body }) {
        return { body: await cache().purge(parseBody(purgeBody, body)) };
      },
    },
    {
      method: 'POST',
      path: '/cache/reset',
      async handle({ body }) {
        const { profiles } = parseBody(resetBody, body);
        return { body: await cache().reset(profiles) };
      },
    },
    {
      method: 'POST',
      path: '/cache/search',
      async handle({ body }) {
        if (typeof body !== 'object' || body === null || Array.isArray(body))
          throw new HttpError(400, 'the search query must be a JSON object');
        // The storage validates every field (paths, operators, values) and says what is wrong.
        return { body: await cache().search(body as never) };
      },
    },
  ];
}
