import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { DbRecoverResult } from '../../storage/db-commands.js';
import type { MigrationResult } from '../../storage/migrator.js';
import { globalOptions } from '../context.js';
import { requireDataFolder } from '../data-folder.js';
import { CliError, emit, renderTable } from '../output.js';

// The storage modules (sql.js, pg, migrations) load when a db command runs, not at CLI start:
// commands served by a running runtime never need them.
const storage = () => import('../../storage/db-commands.js');
const postgres = () => import('../../storage/postgres/pg-db-commands.js');

/**
 * Runs `task` holding the data folder's lock, on a folder that already holds a store: a
 * mistyped --data-dir is refused, never created.
 */
async function onStore<T>(dataDir: string, task: () => Promise<T>): Promise<T> {
  requireDataFolder(dataDir);
  const { withDataDirLock } = await import('../../runtime/data-dir-lock.js');
  return withDataDirLock(dataDir, task);
}

/** `storage.url` of the configuration (file and AVIARY_STORAGE_URL), when it is PostgreSQL. */
async function postgresUrl(global: { config?: string | undefined }): Promise<string | undefined> {
  const [{ loadConfig }, { isPostgresUrl }] = await Promise.all([
    import('../../config/load-config.js'),
    import('../../storage/postgres/pg-url.js'),
  ]);
  const url = loadConfig({ file: global.config, env: process.env }).storage.url;
  return isPostgresUrl(url) ? url : undefined;
}

const revision = (value: string) => {
  const n = Number.parseInt(value, 10);
  if (!Number.isInteger(n) || n < 0)
    throw new CliError(`revision must be a non-negative integer, got ${value}`);
  return n;
};

function report(json: boolean, results: MigrationResult[]): void {
  emit(json, results, () =>
    results.length === 0 ? 'already at that revision' : renderTable(results.map((r) => ({ ...r }))),
  );
  if (results.some((r) => r.status === 'Error')) process.exitCode = 1;
}

export function registerDbCommands(program: Command): void {
  const db = program
    .command('db')
    .description('database schema and integrity: status, migrations, check, recover');
  db.command('status')
    .description('applied and pending migrations (read-only: changes no file)')
    .action(async (_o: unknown, command: Command) => {
      const global = globalOptions(command);
      const url = await postgresUrl(global);
      const status =
        url === undefined
          ? await onStore(global.dataDir, async () => (await storage()).dbStatus(global.dataDir))
          : await (await postgres()).pgDbStatus(url);
      emit(global.json, status, () =>
        [
          `current revision: ${status.current}`,
          renderTable(status.migrations.map((m) => ({ ...m }))),
        ].join('\n'),
      );
    });
  db.command('upgrade [rev]')
    .description('migrate up to REV (default: newest)')
    .action(async (rev: string | undefined, _o: unknown, command: Command) => {
      const global = globalOptions(command);
      const url = await postgresUrl(global);
      const target = rev === undefined ? undefined : revision(rev);
      report(
        global.json,
        url === undefined
          ? await onStore(global.dataDir, async () =>
              (await storage()).dbUpgrade(global.dataDir, target),
            )
          : await (await postgres()).pgDbUpgrade(url, target),
      );
    });
  db.command('downgrade <rev>')
    .description('migrate down to REV (0 = empty schema)')
    .action(async (rev: string, _o: unknown, command: Command) => {
      const global = globalOptions(command);
      const url = await postgresUrl(global);
      const target = revision(rev);
      report(
        global.json,
        url === undefined
          ? await onStore(global.dataDir, async () =>
              (await storage()).dbDowngrade(global.dataDir, target),
            )
          : await (await postgres()).pgDbDowngrade(url, target),
      );
    });
  db.command('check')
    .description(
      'integrity check (manifest, snapshot headers and checksums, journal CRCs, PRAGMA integrity_check); exit 1 on any failure; changes no file',
    )
    .action(async (_o: unknown, command: Command) => {
      const global = globalOptions(command);
      const result = await onStore(global.dataDir, async () => {
        const { dbCheck } = await import('../../storage/db-check.js');
        return dbCheck(global.dataDir);
      });
      emit(global.json, result, () =>
        [
          renderTable(result.items.map((i) => ({ ...i }))),
          result.ok ? 'check passed' : 'check FAILED',
        ].join('\n'),
      );
      if (!result.ok) process.exitCode = 1;
    });
  db.command('recover')
    .description(
      'start the store from an earlier snapshot (default: the newest that verifies) when start-up refuses; replays what the journals still hold, keeps damaged files as *.damaged and says what is lost',
    )
    .option('--from <generation>', 'the snapshot generation to start from (start-up names it)')
    .action(async (o: { from?: string }, command: Command) => {
      const global = globalOptions(command);
      const from = o.from === undefined ? undefined : revision(o.from);
      const result = await onStore(global.dataDir, async () =>
        (await storage()).dbRecover(global.dataDir, from),
      );
      emit(global.json, result, () => describeRecovery(result));
    });
  db.command('revision')
    .description('create the next numbered migration file from a template (then npm run build)')
    .requiredOption('-m, --message <message>', 'what the migration does')
    .action(async (o: { message: string }, command: Command) => {
      const global = globalOptions(command);
      const [{ projectRoot }, { createRevision }] = await Promise.all([
        import('../../util/worker-entry.js'),
        storage(),
      ]);
      const root = projectRoot(fileURLToPath(new URL('.', import.meta.url)));
      const path = await createRevision(join(root, 'migrations'), o.message);
      emit(
        global.json,
        { path },
        () => `created ${path}; fill in up() and down(), then run "npm run build"`,
      );
    });
  db.command('copy')
    .description(
      'copy the sql.js data folder (--data-dir) into an EMPTY PostgreSQL database, in one transaction',
    )
    .requiredOption('--to <url>', 'target database, postgres://user:password@host:port/database')
    .option('--batch <rows>', 'rows per insert', (v: string) => revision(v), 2000)
    .action(async (o: { to: string; batch: number }, command: Command) => {
      const global = globalOptions(command);
      const [{ isPostgresUrl, redactUrl }, { copyToPostgres }, { default: cliProgress }] =
        await Promise.all([
          import('../../storage/postgres/pg-url.js'),
          import('../../storage/postgres/pg-copy.js'),
          import('cli-progress'),
        ]);
      if (!isPostgresUrl(o.to)) {
        throw new CliError(
          `--to must be a postgres:// or postgresql:// URL, got ${redactUrl(o.to)}`,
        );
      }
      const bar =
        global.json || !process.stderr.isTTY
          ? undefined
          : new cliProgress.SingleBar(
              { stream: process.stderr, format: 'copying {bar} {value}/{total} rows ({table})' },
              cliProgress.Presets.shades_classic,
            );
      let started = false;
      try {
        const result = await onStore(global.dataDir, () =>
          copyToPostgres({
            dataDir: global.dataDir,
            url: o.to,
            batchSize: Math.max(1, o.batch),
            onProgress: ({ table, copied, total }) => {
              if (bar === undefined) return;
              if (!started) bar.start(total, 0, { table });
              started = true;
              bar.update(copied, { table });
            },
          }),
        );
        bar?.stop();
        emit(global.json, result, () =>
          [
            `copied ${global.dataDir} into ${result.target} (row counts checked):`,
            renderTable(result.tables.map((t) => ({ ...t }))),
          ].join('\n'),
        );
      } catch (error) {
        bar?.stop();
        throw new CliError((error as Error).message);
      }
    });
}

function describeRecovery(result: DbRecoverResult): string {
  const lines = [
    `started from ${result.snapshot === null ? 'an empty database (no snapshot verified)' : `snapshot generation ${result.snapshot}`}`,
    ...result.journals.map(
      (j) => `replayed journal generation ${j.generation}: ${j.records} records`,
    ),
    ...result.dropped.map(
      (d) =>
        `dropped the end of ${String(d.file)} at byte ${String(d.offset)}: ${String(d.reason)}`,
    ),
    ...result.notes,
    `new current snapshot: generation ${result.newSnapshot}`,
  ];
  const lost = result.dropped.length > 0 || result.notes.some((n) => n.includes('lost'));
  lines.push(lost ? 'some writes were lost: see the lines above' : 'no journal record was lost');
  return lines.join('\n');
}
