/**
 * Input schemas of the control operations (see `operations.ts`). Field names are those of the
 * library calls, so a validated input passes straight through; input types are `z.infer` of
 * these. Query-string inputs (GET/DELETE) hold only strings, numbers, booleans and lists of
 * them, which `operation-codec.ts` maps to and from a query string.
 */
import { z } from 'zod';
import { ENTITY_NAME_PATTERN, ENTITY_NAME_RULE } from '../config/entity-name.js';
import { isLoopbackHost } from '../xmpp/loopback.js';
import { ApiError } from './api-error.js';

/** A new profile or component name (one rule for every creating path). */
export const entityName = z.string().regex(ENTITY_NAME_PATTERN, ENTITY_NAME_RULE);
/**
 * The name of an existing entity. Looser than {@link entityName} on purpose: an entity created
 * before the rule existed can still be found, disconnected and removed.
 */
const existingName = z.string().min(1).max(1024);
const jid = z.string().min(1).max(3071);
const port = z.number().int().min(1).max(65535);
const langMap = z.record(z.string().max(64), z.string().max(1_000_000));
const strings = z.array(z.string()).max(1000);
const nodeTarget = {
  profile: z.string().min(1),
  service: z.string().min(1),
  node: z.string().min(1),
};

/** The host a profile connects to: its server host, or the domain of its JID (RFC 7622 §3.2). */
function connectHost(input: { readonly jid: string; readonly serverHost?: string | undefined }) {
  if (input.serverHost !== undefined) return input.serverHost;
  const bare = input.jid.split('/')[0] ?? '';
  return bare.slice(bare.indexOf('@') + 1);
}

export const byName = z.object({ name: existingName }).strict();
export const noInput = z.object({}).strict();

export const addProfileInput = z
  .object({
    name: entityName,
    jid: z.string().min(3).max(3071),
    password: z.string().min(1).max(1024),
    serverHost: z.string().min(1).max(253).optional(),
    serverPort: port.optional(),
    tls: z.enum(['required', 'optional', 'disabled']).optional(),
    autoconnect: z.boolean().optional(),
    caFile: z.string().min(1).optional(),
    verifyTls: z.boolean().optional(),
  })
  .strict()
  // Plain text only to this machine (the rule the connection applies, RFC 6890 loopback), refused
  // here so a profile that could never connect is not stored.
  .superRefine((input, context) => {
    const host = connectHost(input);
    if (input.tls === 'disabled' && !isLoopbackHost(host))
      context.addIssue({
        code: 'custom',
        path: ['tls'],
        message: `TLS can be turned off only for a loopback server (127.0.0.1, ::1, localhost), not ${host}; keep TLS, or give a loopback --server for a local test server`,
      });
  });

export const addComponentInput = z
  .object({
    name: entityName,
    jid: z.string().min(1).max(1023),
    secret: z.string().min(1).max(1024),
    entryPoint: z.string().min(1).max(128),
    serverHost: z.string().min(1).max(253).optional(),
    serverPort: port.optional(),
    sendHistory: z.boolean().optional(),
    receiveHistory: z.boolean().optional(),
    autoconnect: z.boolean().optional(),
  })
  .strict();

export const sendMessageInput = z
  .object({
    profile: existingName,
    to: jid,
    message: langMap.optional(),
    subject: langMap.optional(),
    type: z.enum(['auto', 'chat', 'normal', 'groupchat', 'headline']).optional(),
    thread: z.string().min(1).max(256).optional(),
    threadParent: z.string().min(1).max(256).optional(),
    extra: z.record(z.string(), z.json()).optional(),
    sendOnly: z.boolean().optional(),
  })
  .strict();

export const historyInput = z
  .object({
    profile: existingName,
    with: jid.optional(),
    between: z.tuple([jid, jid]).optional(),
    before: z.number().optional(),
    after: z.number().optional(),
    types: z.array(z.enum(['chat', 'error', 'groupchat', 'headline', 'normal', 'info'])).optional(),
    search: z.string().min(1).max(1024).optional(),
    limit: z.number().int().min(0).optional(),
    order: z.enum(['asc', 'desc']).optional(),
  })
  .strict();

export const cacheItemsInput = z
  .object({
    ...nodeTarget,
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

export const cacheSyncInput = z.object({ ...nodeTarget, resync: z.boolean().optional() }).strict();
export const cacheNodeInput = z.object(nodeTarget).strict();

export const cachePurgeInput = z
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

export const cacheResetInput = z.object({ profiles: strings.optional() }).strict();

/** Any JSON object: the storage validates every search field (paths, operators, values). */
export const cacheSearchInput = z.record(z.string(), z.unknown());

/** Validates an operation's input; a failure is `api.invalid-request` naming each bad field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(input)';
    return issue.code === 'unrecognized_keys'
      ? `${(issue as { keys: string[] }).keys.join(', ')}: unknown field`
      : `${path}: ${issue.message}`;
  });
  throw new ApiError('api.invalid-request', `invalid request: ${problems.join('; ')}`, {
    problems,
  });
}
