/**
 * `aviary bench worker --controller tcp://HOST:PORT --token T`: one load generator of a
 * distributed run; the controller (`aviary bench load --controller`) gives it its slice.
 */
import type { Command } from 'commander';
import { CliError } from '../output.js';

/** Registers `bench worker` (creating the `bench` group when missing). */
export function registerBenchWorkerCommand(program: Command): void {
  const bench =
    program.commands.find((c) => c.name() === 'bench') ??
    program.command('bench').description('benchmarks and load tests');
  bench
    .command('worker')
    .description('generate a slice of a distributed load run for `aviary bench load --controller`')
    .requiredOption(
      '--controller <url>',
      'the controller, tcp://HOST:PORT (loopback unless --allow-remote)',
    )
    .option('--token <token>', 'the controller token (default: env AVIARY_LOAD_TOKEN)')
    .option('--allow-remote', 'allow a controller outside loopback')
    .action(async (flags: { controller: string; token?: string; allowRemote?: boolean }) => {
      const token = flags.token ?? process.env.AVIARY_LOAD_TOKEN;
      if (token === undefined)
        throw new CliError(
          '--token (or env AVIARY_LOAD_TOKEN) is needed: the controller prints it',
        );
      const [{ runWorker }, { printFirstError }] = await Promise.all([
        import('../../loadtest/index.js'),
        import('./bench-live.js'),
      ]);
      const report = await runWorker({
        controller: flags.controller,
        token,
        allowRemote: flags.allowRemote === true,
        onError: printFirstError,
        onEvent: (line) => process.stderr.write(`${line}\n`),
      });
      process.stderr.write(
        `worker done: ${report.logins.ok} logins ok, ${report.messages.sent} messages sent\n`,
      );
    });
}
