/** The `aviary` command tree: every command and its options, without running anything. */
import { Command } from 'commander';
import { VERSION } from '../runtime/version.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerBenchCompareCommand } from './commands/bench-compare.js';
import { registerBenchLoadCommand } from './commands/bench-load.js';
import { registerBenchWorkerCommand } from './commands/bench-worker.js';
import { registerCacheCommands } from './commands/cache.js';
import { registerCacheSearchCommand } from './commands/cache-search.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerDbCommands } from './commands/db.js';
import { registerInitCommand } from './commands/init.js';
import { registerMamCommand } from './commands/mam.js';
import { registerMessageCommands } from './commands/message.js';
import { registerMucCommands } from './commands/muc.js';
import { registerComponentCommands, registerProfileCommands } from './commands/profile.js';
import { registerProfileFleetCommands } from './commands/profile-fleet.js';
import { registerRosterCommands } from './commands/roster.js';
import { registerRunCommand } from './commands/run.js';
import { registerStatusCommand } from './commands/status.js';

export function buildProgram(): Command {
  const program = new Command('aviary')
    .description('Aviary: host many XMPP accounts and components in one process')
    .version(VERSION)
    .option(
      '-d, --data-dir <dir>',
      'data folder (env AVIARY_DATA_DIR)',
      process.env.AVIARY_DATA_DIR ?? './data',
    )
    .option('-c, --config <file>', 'configuration file (JSON)')
    .option('--json', 'machine-readable output on stdout')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRunCommand(program);
  registerStatusCommand(program);
  registerProfileCommands(program);
  registerComponentCommands(program);
  registerMessageCommands(program);
  registerCacheSearchCommand(registerCacheCommands(program));
  registerDbCommands(program);
  registerBenchLoadCommand(program);
  registerBenchWorkerCommand(program);
  registerBenchCompareCommand(program);
  registerRosterCommands(program);
  registerMamCommand(program);
  registerMucCommands(program);
  registerProfileFleetCommands(program);
  registerBackupCommands(program);
  registerInitCommand(program);
  registerClusterCommands(program);
  return program;
}
