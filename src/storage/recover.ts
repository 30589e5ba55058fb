/**
 * Start-up recovery: load the snapshot the manifest names (verified), replay every journal
 * generation from it up to the newest the manifest knows (torn tails cut and logged,
 * corruption or a missing file stops start-up with advice). Replaying a journal that a
 * snapshot already covers cannot happen, so a crash at any point of a snapshot is harmless.
 *
 * Three modes:
 * - normal: refuses rather than start from an older state than the manifest names;
 * - read-only (`db status`, `db check`): loads in memory, never creates, cuts, renames or
 *   deletes a file;
 * - recovery (`db recover`): starts from an explicit (or the newest verified) snapshot,
 *   salvages what the journals still hold, sets damaged files aside as `*.damaged` and says
 *   what is lost; the engine then writes a fresh snapshot and manifest.
 */
import { join } from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import type { FsOps } from './fs-ops.js';
import { DeferredCatchUp } from './fts-catch-up.js';
import { droppedTail, Journal, type JournalRecord, scanJournal } from './journal.js';
import { type Manifest, readManifest, type SealedJournal, writeManifest } from './manifest.js';
import {
  chooseRecoverySnapshot,
  chooseSnapshot,
  refuseSnapshot,
  type SnapshotChoice,
} from './snapshot-choice.js';
import { journalName, listDataDir, snapshotName } from './snapshot-files.js';
import type { SnapshotSource } from './snapshot-source.js';
import { SqlDatabase } from './sql-database.js';
import type { StorageLog } from './storage-log.js';

/** What recovery found and did, for logs and `db check` / `db recover` reports. */
export interface RecoveryReport {
  readonly snapshot: number | null;
  readonly journals: { generation: number; records: number }[];
  /** Records dropped from journal ends: file, byte offset, reason. */
  readonly dropped: Record<string, unknown>[];
  /** Human sentences: ignored files, adopted formats, losses. */
  readonly notes: string[];
}

export interface Recovered {
  readonly db: SqlDatabase;
  /** The open journal of the newest generation, for appends (absent when read-only). */
  readonly journal: Journal | undefined;
  readonly generation: number;
  /** Sequence number of the last replayed record. */
  readonly seq: number;
  /** The manifest the engine keeps up to date from now on. */
  readonly manifest: Manifest;
  /** The folder must be re-snapshotted now (a legacy folder, or after a recovery). */
  readonly needsSnapshot: boolean;
  readonly report: RecoveryReport;
}

const REFUSALS: ReadonlySet<string> = new Set([
  'storage.snapshot-missing',
  'storage.snapshot-corrupt',
  'storage.manifest-missing',
  'storage.manifest-corrupt',
  'storage.manifest-stale',
  'storage.journal-missing',
  'storage.journal-corrupt',
  'storage.replay-failed',
]);

/** True for a start-up refusal: the files are damaged, and retrying cannot help. */
export function isRefusal(error: unknown): error is AviaryError {
  return error instanceof AviaryError && REFUSALS.has(error.code);
}

export interface RecoverOptions {
  readonly fs: FsOps;
  readonly dir: string;
  readonly sql: SqlJsStatic;
  readonly clock: Clock;
  readonly log: StorageLog;
  readonly readOnly?: boolean;
  /** Present for `db recover`: start from this generation (default: the newest verified). */
  readonly recovery?: { readonly from?: number };
  /** Keep the database in sql.js's emulated file system (the benchmark's baseline). */
  readonly databaseInFile?: boolean;
}

async function listing(fs: FsOps, dir: string, readOnly: boolean) {
  if (!readOnly) await fs.mkdir(dir);
  try {
    return await listDataDir(fs, dir);
  } catch (error) {
    if (readOnly && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { snapshots: [], journals: [], temps: [] };
    }
    throw error;
  }
}

async function manifestOrNote(
  opts: RecoverOptions,
  notes: string[],
): Promise<Manifest | undefined> {
  try {
    return await readManifest(opts.fs, opts.dir);
  } catch (error) {
    if (opts.recovery === undefined || !(error instanceof AviaryError)) {
      if (error instanceof AviaryError) {
        throw new AviaryError(
          error.code,
          `${error.message}. Refusing to start; "aviary db recover" rebuilds it from the newest verified snapshot.`,
          { cause: error },
        );
      }
      throw error;
    }
    notes.push(`${error.message}: ignored, a new manifest is written`);
    return undefined;
  }
}

/**
 * Loads the chosen snapshot. A streamed snapshot's image checksum is verified right after its
 * pages are copied (or SQLite refused them: a damaged image is then named by its checksum) and
 * before any statement reads them; a mismatch is refused like a snapshot that failed its
 * whole-file check.
 */
async function loadDatabase(
  opts: RecoverOptions,
  snapshots: readonly number[],
  choice: SnapshotChoice,
): Promise<SqlDatabase> {
  const name = snapshotName(choice.generation ?? 0);
  const decoded = choice.decoded;
  const source =
    decoded === undefined || decoded.image instanceof Uint8Array
      ? undefined
      : (decoded as SnapshotSource);
  let db: SqlDatabase | undefined;
  try {
    try {
      db = new SqlDatabase(opts.sql, decoded?.image, { inFile: opts.databaseInFile ?? false });
    } finally {
      source?.verify();
    }
    db.get('SELECT count(*) AS c FROM sqlite_master');
    return db;
  } catch (cause) {
    db?.close();
    if (source !== undefined && cause instanceof AviaryError) {
      throw await refuseSnapshot(
        opts.fs,
        opts.dir,
        snapshots,
        choice.generation ?? 0,
        cause,
        'manifest.json names it as the current state',
      );
    }
    if (cause instanceof AviaryError) throw cause;
    throw new AviaryError('storage.snapshot-corrupt', `cannot load ${name}: not a database`, {
      cause,
      details: { file: name },
    });
  } finally {
    source?.close();
  }
}

async function setAside(opts: RecoverOptions, name: string, notes: string[], why: string) {
  notes.push(`${name} ${why}; kept as ${name}.damaged`);
  if (!opts.readOnly) await opts.fs.rename(join(opts.dir, name), join(opts.dir, `${name}.damaged`));
}

export async function recover(opts: RecoverOptions): Promise<Recovered> {
  const { fs, dir, clock, log } = opts;
  const readOnly = opts.readOnly ?? false;
  const recovering = opts.recovery !== undefined;
  const started = clock.now();
  const notes: string[] = [];
  const files = await listing(fs, dir, readOnly);
  if (!readOnly) for (const temp of files.temps) await fs.unlink(join(dir, temp));
  const manifest = await manifestOrNote(opts, notes);
  if (manifest !== undefined && !recovering) checkFresh(manifest, files);
  const choice = recovering
    ? await chooseRecoverySnapshot({
        fs,
        dir,
        snapshots: files.snapshots,
        from: opts.recovery?.from,
      })
    : await chooseSnapshot({ fs, dir, snapshots: files.snapshots, manifest });
  for (const r of choice.rejected) {
    if (recovering)
      await setAside(opts, snapshotName(r.generation), notes, `not used (${r.reason})`);
    else notes.push(`${snapshotName(r.generation)} ignored: ${r.reason}`);
  }
  if (choice.legacy && !recovering) {
    notes.push(
      `${snapshotName(choice.generation ?? 0)} has no header (written before snapshot checksums): loaded unchecked, re-snapshotted with a header now`,
    );
  } else if (manifest === undefined && !recovering && files.journals.length > 0) {
    notes.push('no manifest.json (a folder from before manifests): adopted, manifest written now');
  }
  const db = await loadDatabase(opts, files.snapshots, choice);
  const base =
    choice.generation ??
    (manifest !== undefined && !recovering ? manifest.journal : (files.journals[0] ?? 0));
  const newestKnown = Math.max(
    base,
    files.journals[files.journals.length - 1] ?? base,
    recovering ? base : (manifest?.journal ?? base),
  );
  const dropped: Record<string, unknown>[] = [];
  const journals: { generation: number; records: number }[] = [];
  /** Valid bytes of each replayed journal (after a torn tail was cut). */
  const sizes = new Map<number, number>();
  let journal: Journal | undefined;
  let generation = base;
  // Sequence numbers are global: each journal's first record must follow the snapshot's last
  // (or the previous journal's). Unknown only for a legacy snapshot or a legacy journals-only
  // folder not starting at generation 0.
  let seq = choice.decoded?.seq ?? 0;
  let known = choice.decoded === undefined ? base === 0 : !choice.legacy;
  try {
    for (let gen = base; gen <= newestKnown; gen++) {
      if (!files.journals.includes(gen)) {
        const fresh = gen === base && files.journals.length === 0 && manifest === undefined;
        if (fresh) break;
        const lost = files.journals.filter((g) => g > gen);
        if (!recovering) {
          throw new AviaryError(
            'storage.journal-missing',
            `${journalName(gen)} is missing (the store needs every journal from ${journalName(base)} to ${journalName(newestKnown)}); refusing to start. "aviary db recover" starts from what is left: the writes in ${journalName(gen)}${lost.length > 0 ? ' and every later journal' : ''} are lost.`,
            { details: { file: journalName(gen) } },
          );
        }
        notes.push(`${journalName(gen)} is missing: the writes it held are lost`);
        for (const g of lost) {
          await setAside(
            opts,
            journalName(g),
            notes,
            'follows a missing journal: its writes are lost',
          );
        }
        break;
      }
      const path = join(dir, journalName(gen));
      const sealed = recovering ? undefined : manifest?.sealed.find((j) => j.generation === gen);
      // Checked before the journal is opened (which would cut a damaged tail): a refusal
      // leaves every file as it was.
      if (sealed !== undefined) await checkSealed(fs, path, gen, sealed.bytes);
      let records: JournalRecord[];
      let tail: Record<string, unknown> | undefined;
      if (readOnly) {
        const bytes = await fs.readFile(path);
        const scan = scanJournal(bytes, path);
        records = scan.records;
        sizes.set(gen, scan.validBytes);
        if (scan.validBytes < bytes.length && scan.padding !== true)
          tail = droppedTail(path, scan, bytes);
      } else {
        await journal?.close();
        journal = undefined;
        const opened = await Journal.open({ fs, path, log, salvage: recovering });
        journal = opened.journal;
        records = opened.records;
        sizes.set(gen, opened.journal.size);
        tail = opened.dropped;
      }
      const first = records[0]?.seq;
      if (known && first !== undefined && first !== seq + 1) {
        const reason = `${journalName(gen)} starts at record ${first} but the state before it ends at record ${seq}: records are missing or the file belongs to another generation`;
        if (!recovering) {
          throw new AviaryError(
            'storage.journal-corrupt',
            `${reason}; refusing to start. "aviary db recover" starts from what is left and says what is lost.`,
            { details: { file: journalName(gen), first, expected: seq + 1 } },
          );
        }
        for (const g of files.journals.filter((x) => x >= gen)) {
          await setAside(
            opts,
            journalName(g),
            notes,
            `not replayed (${reason}): its writes are lost`,
          );
        }
        break;
      }
      known = true;
      generation = gen;
      if (tail !== undefined) dropped.push(tail);
      seq = replay(db, records, gen, seq);
      journals.push({ generation: gen, records: records.length });
      const corrupt =
        recovering && typeof tail?.reason === 'string' && tail.reason.includes('corruption');
      if (corrupt) {
        notes.push(
          `${journalName(gen)} is corrupt after byte ${String(tail?.offset)}: the records after it are lost`,
        );
        for (const g of files.journals.filter((x) => x > gen)) {
          await setAside(
            opts,
            journalName(g),
            notes,
            'follows a corrupt journal: its writes are lost',
          );
        }
        break;
      }
    }
    if (journal === undefined && !readOnly) {
      const opened = await Journal.open({ fs, path: join(dir, journalName(generation)), log });
      journal = opened.journal;
    }
  } catch (error) {
    await journal?.close();
    db.close();
    throw error;
  }
  const needsSnapshot = !readOnly && (recovering || choice.legacy);
  const current: Manifest = {
    snapshot:
      choice.generation === undefined || choice.decoded === undefined || choice.legacy
        ? null
        : { generation: choice.generation, crc32: choice.decoded.crc32 },
    previous: recovering ? null : (manifest?.previous ?? null),
    journal: generation,
    sealed: recovering ? [] : (manifest?.sealed ?? []),
  };
  const kept: Manifest =
    manifest === undefined || recovering
      ? current
      : {
          snapshot: current.snapshot,
          // A snapshot newer than the manifest's (crash before the manifest update) makes the
          // manifest's own snapshot the previous one.
          previous:
            current.snapshot?.generation === manifest.snapshot?.generation
              ? manifest.previous
              : manifest.snapshot,
          journal: generation,
          sealed: sealAdopted(manifest, generation, sizes),
        };
  if (!readOnly) {
    await fs.syncDir(dir);
    if (manifest === undefined && !needsSnapshot) await writeManifest(fs, dir, current);
    // A journal newer than the manifest's (a crash during a journal switch, after the new
    // journal was created and before the manifest named it) is appended to from now on: the
    // manifest must name it first, or the next switch would leave two generations it does not
    // know, which is what an older manifest put back looks like.
    else if (manifest !== undefined && !recovering && generation > manifest.journal)
      await writeManifest(fs, dir, kept);
  }
  for (const note of notes) log('warn', `storage: ${note}`);
  log('info', 'storage opened', {
    snapshot: choice.generation ?? null,
    replayed: journals.reduce((n, j) => n + j.records, 0),
    ms: clock.now() - started,
  });
  return {
    db,
    journal,
    generation,
    seq,
    manifest: kept,
    needsSnapshot,
    report: { snapshot: choice.generation ?? null, journals, dropped, notes },
  };
}

/**
 * The manifest's sealed journals plus those an interrupted journal switch closed without
 * sealing: every replayed journal from the manifest's newest up to (not including) the one
 * that takes the appends now, at its size after replay.
 */
function sealAdopted(
  manifest: Manifest,
  generation: number,
  sizes: ReadonlyMap<number, number>,
): readonly SealedJournal[] {
  if (generation <= manifest.journal) return manifest.sealed;
  const closed = [...sizes]
    .filter(([gen]) => gen >= manifest.journal && gen < generation)
    .map(([gen, bytes]) => ({ generation: gen, bytes }));
  return [
    ...manifest.sealed.filter((j) => !closed.some((c) => c.generation === j.generation)),
    ...closed,
  ];
}

/**
 * The manifest names the newest journal generation ever opened (written before a snapshot of
 * that generation starts). A crash can leave at most a snapshot of that generation and an empty
 * journal one above it; anything newer means an older manifest was put back.
 */
function checkFresh(manifest: Manifest, files: { snapshots: number[]; journals: number[] }) {
  const snapshot = files.snapshots[files.snapshots.length - 1] ?? -1;
  const journal = files.journals[files.journals.length - 1] ?? -1;
  if (snapshot <= manifest.journal && journal <= manifest.journal + 1) return;
  const newer = snapshot > manifest.journal ? snapshotName(snapshot) : journalName(journal);
  throw new AviaryError(
    'storage.manifest-stale',
    `manifest.json is older than the files next to it: ${newer} is newer than generation ${manifest.journal}, the newest it knows (an older copy was put back); refusing to start. "aviary db recover" rebuilds it from the newest verified snapshot.`,
    { details: { file: newer, manifestJournal: manifest.journal } },
  );
}

/** A closed journal must still hold exactly the records it was closed with. */
async function checkSealed(fs: FsOps, path: string, gen: number, sealedBytes: number) {
  const { validBytes } = scanJournal(await fs.readFile(path), path);
  if (validBytes === sealedBytes) return;
  throw new AviaryError(
    'storage.journal-corrupt',
    `${journalName(gen)} was closed with ${sealedBytes} bytes of records but holds ${validBytes}: ${validBytes < sealedBytes ? 'acknowledged records are missing' : 'it holds records that were never acknowledged'}; refusing to start. "aviary db recover" starts from what is left and says what is lost.`,
    { details: { file: journalName(gen), sealedBytes, validBytes } },
  );
}

/**
 * Replays one journal's records in one transaction (FTS4 merges its pending terms once), with
 * the records' full-text catch-ups done once at the end (same index content, see
 * DeferredCatchUp).
 */
function replay(
  db: SqlDatabase,
  records: readonly JournalRecord[],
  gen: number,
  seq: number,
): number {
  let current = seq;
  db.exec('BEGIN');
  try {
    const catchUp = new DeferredCatchUp(db);
    for (const record of records) {
      current = record.seq;
      catchUp.replay(record.statements);
    }
    catchUp.flush();
    db.exec('COMMIT');
  } catch (cause) {
    db.exec('ROLLBACK');
    throw new AviaryError(
      'storage.replay-failed',
      `cannot replay record ${current} of ${journalName(gen)}`,
      { cause },
    );
  }
  return current;
}
