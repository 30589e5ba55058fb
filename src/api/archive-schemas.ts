/**
 * Input schemas of the message-archive operations (`history.sync`, `mam.query`); times are
 * ms since the epoch, like the history query's.
 */
import { z } from 'zod';

const profile = z.string().min(1).max(1024);

export const historySyncInput = z.object({ profile }).strict();

export const mamQueryInput = z
  .object({
    profile,
    with: z.string().min(1).max(3071).optional(),
    start: z.number().optional(),
    end: z.number().optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();
