import type { EntityStatus } from '../entities/entity-actor.js';
import { isAviaryError } from '../errors.js';
import type { ControlFacade } from './operation.js';
import { addProfileInput, parseInput } from './request-schemas.js';

/** A row that was not imported: its index in the request, its name when it had one, and why. */
export interface ImportFailure {
  readonly index: number;
  readonly name?: string;
  readonly code: string;
  readonly message: string;
}

export interface ImportResult {
  /** Names added (with `dryRun`: the names that would be). */
  readonly added: readonly string[];
  readonly failed: readonly ImportFailure[];
  readonly dryRun: boolean;
}

function failure(index: number, name: unknown, error: unknown): ImportFailure {
  return {
    index,
    ...(typeof name === 'string' ? { name } : {}),
    code: isAviaryError(error) ? error.code : 'profile.import-failed',
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * Adds many profiles at once. Every row is checked alone by the `profile.add` schema (so the
 * same rules hold: loopback-only plain text, name rule...) and against existing and earlier
 * names; a bad row fails alone and the good ones go on. The adds run concurrently, so the
 * storage actor commits them in a few group-commit batches instead of one transaction each.
 */
export async function importProfiles(
  aviary: Pick<ControlFacade, 'entities' | 'addProfile'>,
  rows: readonly Readonly<Record<string, unknown>>[],
  dryRun: boolean,
): Promise<ImportResult> {
  const taken = new Set(aviary.entities().map((e) => e.name));
  const failed: ImportFailure[] = [];
  const valid: { index: number; request: Parameters<ControlFacade['addProfile']>[0] }[] = [];
  rows.forEach((row, index) => {
    try {
      const request = parseInput(addProfileInput, row);
      if (taken.has(request.name)) {
        failed.push({
          index,
          name: request.name,
          code: 'storage.profile-exists',
          message: `profile ${JSON.stringify(request.name)} exists`,
        });
        return;
      }
      taken.add(request.name);
      valid.push({ index, request });
    } catch (error) {
      failed.push(failure(index, row.name, error));
    }
  });
  if (dryRun) return { added: valid.map((v) => v.request.name), failed, dryRun };
  const outcomes = await Promise.allSettled<EntityStatus>(
    valid.map(({ request }) => aviary.addProfile(request)),
  );
  const added: string[] = [];
  outcomes.forEach((outcome, i) => {
    const { index, request } = valid[i] as (typeof valid)[number];
    if (outcome.status === 'fulfilled') added.push(request.name);
    else failed.push(failure(index, request.name, outcome.reason));
  });
  failed.sort((a, b) => a.index - b.index);
  return { added, failed, dryRun };
}
