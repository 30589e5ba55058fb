/**
 * Per-profile MAM settings and the catch-up checkpoint, kept as profile parameters (category
 * `mam`): `enabled` (`false` turns catch-up off), `window_days` and `window_max` (the
 * first-connection window), `page_size`, and `last_id` (the newest archive id stored).
 */
import type { EntityStorage } from '../entities/entity-ports.js';

export const MAM_CATEGORY = 'mam';
const DAY_MS = 86_400_000;

export interface ArchiveSettings {
  readonly enabled: boolean;
  readonly windowMs: number;
  readonly windowMax: number;
  readonly pageSize: number;
}

export const DEFAULT_ARCHIVE_SETTINGS: ArchiveSettings = {
  enabled: true,
  windowMs: 7 * DAY_MS,
  windowMax: 1000,
  pageSize: 250,
};

/** A positive number from a parameter, or the default when unset or not one. */
function positive(value: string | null, fallback: number): number {
  const n = Number(value);
  return value !== null && Number.isFinite(n) && n > 0 ? n : fallback;
}

export async function readArchiveSettings(
  storage: EntityStorage,
  profile: string,
): Promise<ArchiveSettings> {
  const get = (name: string) =>
    storage.request({ type: 'param.get', profile, category: MAM_CATEGORY, name });
  const [enabled, days, max, pageSize] = await Promise.all([
    get('enabled'),
    get('window_days'),
    get('window_max'),
    get('page_size'),
  ]);
  const d = DEFAULT_ARCHIVE_SETTINGS;
  return {
    enabled: enabled !== 'false',
    windowMs: positive(days, d.windowMs / DAY_MS) * DAY_MS,
    windowMax: Math.floor(positive(max, d.windowMax)),
    pageSize: Math.floor(positive(pageSize, d.pageSize)),
  };
}

export async function readCheckpoint(
  storage: EntityStorage,
  profile: string,
): Promise<string | undefined> {
  const value = await storage.request({
    type: 'param.get',
    profile,
    category: MAM_CATEGORY,
    name: 'last_id',
  });
  return value ?? undefined;
}

/**
 * Written through the same storage actor as the history rows handed over before it, which
 * commits in order: once the checkpoint is durable, so are the messages it covers.
 */
export async function writeCheckpoint(
  storage: EntityStorage,
  profile: string,
  archiveId: string,
): Promise<void> {
  await storage.request({
    type: 'param.set',
    profile,
    category: MAM_CATEGORY,
    name: 'last_id',
    value: archiveId,
  });
}
