#!/usr/bin/env node
/**
 * `aviary`: the command-line interface. Global options: --data-dir (env AVIARY_DATA_DIR,
 * default ./data), --config FILE (JSON), --json (machine-readable output on stdout).
 * Errors go to stderr with a non-zero exit code.
 */
import { Command, CommanderError } from 'commander';
import { AviaryError } from '../errors.js';
import { VERSION } from '../runtime/version.js';
import { registerBenchCompareCommand } from './commands/bench-compare.js';
import { registerBenchLoadCommand } from './commands/bench-load.js';
import { registerBenchWorkerCommand } from './commands/bench-worker.js';
import { registerCacheCommands } from './commands/cache.js';
import { registerCacheSearchCommand } from './commands/cache-search.js';
import { registerDbCommands } from './commands/db.js';
import { registerMessageCommands } from './commands/message.js';
import { registerComponentCommands, registerProfileCommands } from './commands/profile.js';
import { registerRunCommand } from './commands/run.js';
import { registerStatusCommand } from './commands/status.js';
import { CliError } from './output.js';

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
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were printed by commander.
      return error.exitCode;
    }
    if (error instanceof CliError) {
      process.stderr.write(`aviary: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof AviaryError) {
      process.stderr.write(`aviary: ${error.message} [${error.code}]\n`);
      return 1;
    }
    process.stderr.write(`aviary: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  }
}

const code = await main(process.argv);
process.exitCode = code;
