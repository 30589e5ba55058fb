import { z } from 'zod';
import { HttpError } from './http-errors.js';

const name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/,
    'letters, digits, ".", "_", "@" or "-" (at most 128)',
  );
const port = z.number().int().min(1).max(65535);
const langMap = z.record(z.string().max(64), z.string().max(1_000_000));

/** Field names are those of the library's `addProfile` request, so bodies pass straight through. */
export const addProfileBody = z
  .object({
    name,
    jid: z.string().min(3).max(3071),
    password: z.string().min(1).max(1024),
    serverHost: z.string().min(1).max(253).optional(),
    serverPort: port.optional(),
    tls: z.enum(['required', 'optional', 'disabled']).optional(),
    autoconnect: z.boolean().optional(),
    caFile: z.string().min(1).optional(),
    verifyTls: z.boolean().optional(),
  })
  .strict();

export const addComponentBody = z
  .object({
    name,
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

export const sendMessageBody = z
  .object({
    to: z.string().min(1).max(3071),
    message: langMap.optional(),
    subject: langMap.optional(),
    type: z.enum(['auto', 'chat', 'normal', 'groupchat', 'headline']).optional(),
    thread: z.string().min(1).max(256).optional(),
    threadParent: z.string().min(1).max(256).optional(),
    extra: z.record(z.string(), z.unknown()).optional(),
    sendOnly: z.boolean().optional(),
  })
  .strict();

/** Validates a request body; a failure is a 400 naming each bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(body)';
    return issue.code === 'unrecognized_keys'
      ? `${(issue as { keys: string[] }).keys.join(', ')}: unknown field`
      : `${path}: ${issue.message}`;
  });
  throw new HttpError(400, `invalid request body: ${problems.join('; ')}`, { problems });
}

/** Reads an optional number query parameter; a non-number is a 400. */
export function numberParam(query: URLSearchParams, key: string): number | undefined {
  const raw = query.get(key);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new HttpError(400, `query parameter ${key} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}
