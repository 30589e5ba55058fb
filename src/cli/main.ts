#!/usr/bin/env node
/**
 * `aviary`: the command-line interface. Global options: --data-dir (env AVIARY_DATA_DIR,
 * default ./data), --config FILE (JSON), --json (machine-readable output on stdout).
 * Errors go to stderr as one line (with --json, also `{ "error": { code, message } }` on
 * stdout). Exit status: 0 success, 1 failure (including environment faults: read-only or full
 * disk, a data folder that is a file, a port in use), 2 usage error, 70 an unexpected bug.
 */
import { CommanderError } from 'commander';
import { AviaryError } from '../errors.js';
import { environmentFault } from './environment.js';
import { CliError } from './output.js';
import { buildProgram } from './program.js';

/** Writes the one-line report of a failure (and its JSON form with --json); returns the exit status. */
function report(error: AviaryError, json: boolean, exitCode: number): number {
  const shown = error instanceof CliError ? error.message : `${error.message} [${error.code}]`;
  process.stderr.write(`aviary: ${shown}\n`);
  if (json) {
    const body = { error: { code: error.code, message: error.message } };
    process.stdout.write(`${JSON.stringify(body)}\n`);
  }
  return exitCode;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit status 0; commander printed usage errors.
      if (error.exitCode === 0) return 0;
      if (json) {
        const body = { error: { code: 'cli.usage', message: error.message } };
        process.stdout.write(`${JSON.stringify(body)}\n`);
      }
      return 2;
    }
    if (error instanceof CliError) return report(error, json, error.exitCode);
    const fault = environmentFault(error);
    if (fault) return report(fault, json, fault.exitCode);
    // A request the operation's schema refused is bad input, like a bad option.
    if (error instanceof AviaryError)
      return report(error, json, error.code === 'api.invalid-request' ? 2 : 1);
    process.stderr.write(`aviary: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  }
}

const code = await main(process.argv);
process.exitCode = code;
