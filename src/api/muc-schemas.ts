/**
 * Input schemas of the Multi-User Chat operations (XEP-0045), beside the other operations'
 * schemas in `request-schemas.ts` and built the same way: field names are the library's.
 */
import { z } from 'zod';

const profile = z.string().min(1).max(1024);
const room = z.string().min(3).max(3071);

export const mucJoinInput = z
  .object({
    profile,
    room,
    nick: z.string().min(1).max(1023),
    /** Sent to the room only; never stored. */
    password: z.string().min(1).max(1024).optional(),
    /** History to ask for on the first join (XEP-0045 §7.2.15). */
    maxStanzas: z.number().int().min(0).max(100_000).optional(),
    /** Only history sent at or after this time (ms since the epoch). */
    since: z.number().int().min(0).optional(),
  })
  .strict();

export const mucLeaveInput = z.object({ profile, room }).strict();

export const mucListInput = z.object({ profile }).strict();
