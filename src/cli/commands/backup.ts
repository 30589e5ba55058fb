/**
 * `aviary backup FILE` and `aviary restore FILE`: a consistent copy of the store and its secret
 * key in one checksummed file, and its restoration onto a new data folder.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { AviaryError } from '../../errors.js';
import { globalOptions } from '../context.js';
import { withOperationSession } from '../operation-session.js';
import { CliError, emit } from '../output.js';
import { canAsk, confirmDestructive } from '../terminal-prompt.js';

const KEY_WARNING =
  'aviary: warning: the backup holds the secret key, which decrypts every stored password: store it like the passwords themselves (encrypted, access-controlled)\n';

export function registerBackupCommands(program: Command): void {
  program
    .command('backup <file>')
    .description(
      'write a consistent copy of the store (a fresh snapshot) and the secret key to FILE (mode 0600)',
    )
    .option('-y, --yes', 'replace FILE if it exists')
    .addHelpText(
      'after',
      '\nWith a runtime running, it snapshots through the control API (no stop needed);\notherwise it opens the data folder itself. On PostgreSQL only the key is copied:\nback the database up with pg_dump. Restore with `aviary restore FILE --data-dir NEW`.',
    )
    .action(async (file: string, o: { yes?: boolean }, command: Command) => {
      const global = globalOptions(command);
      if (existsSync(file) && o.yes !== true)
        throw new CliError(`${file} exists; give --yes to replace it`, { code: 'cli.usage' });
      const [{ collectBackup }, { encodeBackup }, { MANIFEST_FILE }, { VERSION }] =
        await Promise.all([
          import('../../backup/backup-store.js'),
          import('../../backup/backup-archive.js'),
          import('../../storage/manifest.js'),
          import('../../runtime/version.js'),
        ]);
      // A typo in --data-dir must not back up a fresh empty store.
      if (!existsSync(join(global.dataDir, MANIFEST_FILE))) {
        const { readRuntimeInfo } = await import('../../runtime/runtime-files.js');
        if (readRuntimeInfo(global.dataDir) === undefined)
          throw new AviaryError(
            'backup.no-store',
            `${global.dataDir} holds no Aviary store (no ${MANIFEST_FILE}); check --data-dir`,
          );
      }
      const collected = await withOperationSession(global, ['storage.snapshot'], async (session) =>
        collectBackup(global.dataDir, await session.call('storage.snapshot', {}), process.env),
      );
      const bytes = encodeBackup(
        { created: new Date().toISOString(), version: VERSION, backend: collected.backend },
        collected.entries,
      );
      const temp = `${file}.tmp-${process.pid}`;
      try {
        writeFileSync(temp, bytes, { mode: 0o600 });
        renameSync(temp, file);
      } finally {
        rmSync(temp, { force: true });
      }
      process.stderr.write(KEY_WARNING);
      for (const note of collected.notes) process.stderr.write(`aviary: note: ${note}\n`);
      const summary = {
        file,
        bytes: bytes.length,
        backend: collected.backend,
        entries: collected.entries.map((e) => ({ name: e.name, bytes: e.bytes.length })),
        notes: collected.notes,
      };
      emit(
        global.json,
        summary,
        () =>
          `backup written to ${file} (${bytes.length} bytes: ${summary.entries.map((e) => e.name).join(', ')})`,
      );
    });

  program
    .command('restore <file>')
    .description(
      'restore a backup onto a data folder (give --data-dir NEW; a folder holding a store needs --yes)',
    )
    .option('-y, --yes', 'replace the store files and key already in the data folder')
    .action(async (file: string, o: { yes?: boolean }, command: Command) => {
      const global = globalOptions(command);
      let raw: Uint8Array;
      try {
        raw = readFileSync(file);
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
      }
      const [{ decodeBackup }, { layOutBackup, storeFilesIn }, { acquireDataDirLock }] =
        await Promise.all([
          import('../../backup/backup-archive.js'),
          import('../../backup/backup-store.js'),
          import('../../runtime/data-dir-lock.js'),
        ]);
      // Every entry is checked (length, SHA-256, snapshot header) before anything is written.
      const { header, entries } = decodeBackup(raw);
      const present = storeFilesIn(global.dataDir);
      if (present.length > 0) {
        if (o.yes !== true && !canAsk())
          throw new AviaryError(
            'backup.target-not-empty',
            `${global.dataDir} already holds a store (${present.join(', ')}); restore into a new folder with --data-dir, or give --yes to replace it`,
          );
        await confirmDestructive(
          `replace the store and key in ${global.dataDir} (${present.length} files)`,
          o.yes === true,
        );
      }
      const { mkdirSync } = await import('node:fs');
      mkdirSync(global.dataDir, { recursive: true, mode: 0o700 });
      // No runtime may run on the folder while its files are replaced.
      const release = acquireDataDirLock(global.dataDir);
      try {
        for (const name of storeFilesIn(global.dataDir)) rmSync(join(global.dataDir, name));
        const { generation, files } = await layOutBackup(global.dataDir, header, entries);
        const summary = {
          dataDir: global.dataDir,
          backend: header.backend,
          created: header.created,
          generation,
          files,
        };
        emit(
          global.json,
          summary,
          () =>
            `restored the backup of ${header.created} into ${global.dataDir} (${files.join(', ')})${header.backend === 'postgresql' ? '; the database itself: restore it with pg_restore/psql' : ''}`,
        );
      } finally {
        release();
      }
    });
}
