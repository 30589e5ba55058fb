import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { processAlive, readLockPid } from '../../runtime/data-dir-lock.js';
import { createRevision, dbDowngrade, dbStatus, dbUpgrade } from '../../storage/db-commands.js';
import type { MigrationResult } from '../../storage/migrator.js';
import { projectRoot } from '../../util/worker-entry.js';
import { globalOptions } from '../context.js';
import { CliError, emit, renderTable } from '../output.js';

function refuseWhileRunning(dataDir: string): void {
  const pid = readLockPid(dataDir);
  if (pid !== undefined && processAlive(pid)) {
    throw new CliError(
      `a runtime (pid ${pid}) owns the database in ${dataDir}; stop it before changing the schema`,
    );
  }
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
  const db = program.command('db').description('database schema: status and migrations');
  db.command('status')
    .description('applied and pending migrations')
    .action(async (_o: unknown, command: Command) => {
      const global = globalOptions(command);
      refuseWhileRunning(global.dataDir);
      const status = await dbStatus(global.dataDir);
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
      refuseWhileRunning(global.dataDir);
      report(
        global.json,
        await dbUpgrade(global.dataDir, rev === undefined ? undefined : revision(rev)),
      );
    });
  db.command('downgrade <rev>')
    .description('migrate down to REV (0 = empty schema)')
    .action(async (rev: string, _o: unknown, command: Command) => {
      const global = globalOptions(command);
      refuseWhileRunning(global.dataDir);
      report(global.json, await dbDowngrade(global.dataDir, revision(rev)));
    });
  db.command('revision')
    .description('create the next numbered migration file from a template (then npm run build)')
    .requiredOption('-m, --message <message>', 'what the migration does')
    .action(async (o: { message: string }, command: Command) => {
      const global = globalOptions(command);
      const root = projectRoot(fileURLToPath(new URL('.', import.meta.url)));
      const path = await createRevision(join(root, 'migrations'), o.message);
      emit(
        global.json,
        { path },
        () => `created ${path}; fill in up() and down(), then run "npm run build"`,
      );
    });
}
