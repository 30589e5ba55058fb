/**
 * Input schemas of the fleet operations: paging and filters on the entity lists, bulk import,
 * export and modify of profiles, and the storage snapshot behind `aviary backup`.
 */
import { z } from 'zod';
import { ENTITY_STATES } from '../entities/entity-states.js';

/** The most rows one page or one import call carries. */
export const MAX_PAGE = 1000;
export const MAX_IMPORT_BATCH = 1000;

/**
 * A page of `GET /profiles` or `GET /components`: up to `limit` entities in name order after
 * the name `after` (keyset paging: the next page starts after the last name of this one), of
 * the given `state` and whose name starts with `prefix`. Without `limit`, every match.
 */
export const entityPageInput = z
  .object({
    limit: z.number().int().min(1).max(MAX_PAGE).optional(),
    after: z.string().min(1).max(1024).optional(),
    prefix: z.string().min(1).max(1024).optional(),
    state: z.enum(ENTITY_STATES).optional(),
  })
  .strict();
export type EntityPageQuery = z.infer<typeof entityPageInput>;

/** Rows of a profile import (each checked alone against the `profile.add` schema). */
export const importProfilesInput = z
  .object({
    profiles: z.array(z.record(z.string(), z.unknown())).min(1).max(MAX_IMPORT_BATCH),
    dryRun: z.boolean().optional(),
  })
  .strict();

export const exportProfilesInput = z.object({ withSecrets: z.boolean().optional() }).strict();

export const modifyProfileInput = z
  .object({
    name: z.string().min(1).max(1024),
    password: z.string().min(1).max(1024).optional(),
    /** `null` goes back to the JID's domain. */
    serverHost: z.string().min(1).max(253).nullable().optional(),
    /** `null` goes back to the default port. */
    serverPort: z.number().int().min(1).max(65535).nullable().optional(),
    tls: z.enum(['required', 'optional', 'disabled']).optional(),
  })
  .strict()
  .refine(
    (input) =>
      input.password !== undefined ||
      input.serverHost !== undefined ||
      input.serverPort !== undefined ||
      input.tls !== undefined,
    { message: 'nothing to change: give a password, server host, port or TLS policy' },
  );
