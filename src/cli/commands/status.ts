import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { emit, renderTable } from '../output.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'say whether a runtime runs on the data folder and show its health (exit 1 when none runs)',
    )
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const { connectToRuntime } = await import('../api-client.js');
      const client = connectToRuntime(global.dataDir);
      if (client === undefined) {
        // Not an error of the command: the answer is "not running" (exit status 1).
        if (global.json) emit(true, { running: false, dataDir: global.dataDir }, () => '');
        process.stderr.write(
          `aviary: no Aviary runtime is running on ${global.dataDir} (start one with "aviary run")\n`,
        );
        process.exitCode = 1;
        return;
      }
      const health = await client.call('runtime.health', {});
      emit(global.json, { running: true, apiUrl: client.apiUrl, ...health }, () =>
        [
          `Aviary ${health.version} running (pid ${health.pid}, up ${health.uptimeSeconds}s) at ${client.apiUrl}`,
          `overall: ${health.ok ? 'healthy' : 'UNHEALTHY'}`,
          '',
          renderTable(
            Object.entries(health.checks).map(([check, entry]) => ({
              check,
              status: entry.ok ? 'ok' : 'FAIL',
              detail: entry.detail,
            })),
          ),
        ].join('\n'),
      );
      if (!health.ok) process.exitCode = 2;
    });
}
