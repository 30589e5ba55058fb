import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { emit, renderTable } from '../output.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'say whether a runtime runs on the data folder and show its health: healthy, degraded (entities configured, none online) or unhealthy (exit 2); exit 1 when none runs',
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
      const [health, profiles, components] = await Promise.all([
        client.call('runtime.health', {}),
        client.call('profile.list', {}),
        client.call('component.list', {}),
      ]);
      const entities = [...profiles, ...components];
      const byState: Record<string, number> = {};
      for (const entity of entities) byState[entity.state] = (byState[entity.state] ?? 0) + 1;
      const online = byState.online ?? 0;
      // Why entities are not online: the last failure of each that has one.
      const failures = entities
        .filter((entity) => entity.lastError !== undefined)
        .map((entity) => ({
          name: entity.name,
          kind: entity.kind,
          state: entity.state,
          code: entity.lastError?.code,
          message: entity.lastError?.message,
          at: entity.lastError?.at,
        }));
      // Degraded: up and healthy, yet configured to host entities of which none is online.
      const state = !health.ok
        ? 'unhealthy'
        : entities.length > 0 && online === 0
          ? 'degraded'
          : 'healthy';
      const report = {
        running: true,
        state,
        ok: health.ok,
        apiUrl: client.apiUrl,
        version: health.version,
        pid: health.pid,
        uptimeSeconds: health.uptimeSeconds,
        entities: { configured: entities.length, online, byState },
        failures,
        checks: health.checks,
      };
      emit(global.json, report, () =>
        [
          `Aviary ${health.version} running (pid ${health.pid}, up ${health.uptimeSeconds}s) at ${client.apiUrl}`,
          `overall: ${state === 'healthy' ? 'healthy' : state.toUpperCase()}`,
          `entities: ${online} of ${entities.length} online${
            Object.keys(byState).length > 0
              ? ` (${Object.entries(byState)
                  .map(([name, count]) => `${name} ${count}`)
                  .join(', ')})`
              : ''
          }`,
          '',
          renderTable(
            Object.entries(health.checks).map(([check, entry]) => ({
              check,
              status: entry.ok ? 'ok' : 'FAIL',
              detail: entry.detail,
            })),
          ),
          ...(failures.length > 0
            ? [
                '',
                'last failures:',
                renderTable(
                  failures.map((f) => ({
                    name: f.name,
                    state: f.state,
                    error: `${f.code}: ${f.message}`,
                    at: f.at,
                  })),
                ),
              ]
            : []),
        ].join('\n'),
      );
      if (!health.ok) process.exitCode = 2;
    });
}
