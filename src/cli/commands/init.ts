import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { isAviaryDataFolder } from '../data-folder.js';
import { checkDataDir } from '../environment.js';
import { emit } from '../output.js';

/**
 * `aviary init`: creates the data folder (mode 0700), its secret key (unless AVIARY_SECRET_KEY
 * is set) and an empty, migrated store. With `aviary run`, the only command that creates one;
 * on a folder that already holds a store it changes nothing.
 */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(
      'create the data folder with its secret key and an empty store (every other command but `run` needs one)',
    )
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      if (isAviaryDataFolder(global.dataDir)) {
        emit(
          global.json,
          { dataDir: global.dataDir, created: false },
          () => `${global.dataDir} already holds an Aviary store; nothing changed`,
        );
        return;
      }
      checkDataDir(global.dataDir);
      const [{ loadConfig }, { createRuntime }, { createLogger }] = await Promise.all([
        import('../../config/load-config.js'),
        import('../../runtime/default-runtime.js'),
        import('../../log.js'),
      ]);
      const config = loadConfig({
        file: global.config,
        env: process.env,
        overrides: { dataDir: global.dataDir, log: { level: 'warn' } },
      });
      // Starting a runtime that serves no API and connects nothing creates exactly a store:
      // the key, the migrated database and its first snapshot.
      const runtime = createRuntime({
        api: false,
        autoconnect: false,
        config,
        log: createLogger({ level: 'warn' }),
      });
      await runtime.start();
      await runtime.stop();
      emit(global.json, { dataDir: global.dataDir, created: true }, () =>
        [
          `created an Aviary store in ${global.dataDir}`,
          process.env.AVIARY_SECRET_KEY
            ? 'the secret key comes from AVIARY_SECRET_KEY: keep it safe, it decrypts every stored password'
            : `its secret key is ${global.dataDir}/secret.key: back it up, it decrypts every stored password`,
        ].join('\n'),
      );
    });
}
