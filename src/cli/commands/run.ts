import { relative } from 'node:path';
import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { checkDataDir, checkPortFree } from '../environment.js';
import { usageError } from '../output.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('start the runtime in the foreground (Ctrl-C or SIGTERM stops it gracefully)')
    .option('--api-port <port>', 'control API port on 127.0.0.1 (default: a free port)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535)
        throw usageError(`--api-port takes 0..65535, got ${JSON.stringify(v)}`);
      return n;
    })
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace')
    .option(
      '--log-format <format>',
      'auto (readable lines on a terminal, JSON otherwise), json or pretty',
      (value: string) => {
        if (value !== 'auto' && value !== 'json' && value !== 'pretty')
          throw usageError(`--log-format takes auto, json or pretty, got ${JSON.stringify(value)}`);
        return value;
      },
      'auto',
    )
    .option(
      '--cluster',
      'run as one node of a cluster sharing the PostgreSQL storage.url and the secret key (docs/cluster.md)',
    )
    .option('--node-name <name>', 'this cluster node name (default: host and pid)')
    .action(async (options: RunOptions, command: Command) => {
      const global = globalOptions(command);
      const [{ isLoopbackHost }, { loadConfig }] = await Promise.all([
        import('../../config/config-schema.js'),
        import('../../config/load-config.js'),
      ]);
      const config = loadConfig({
        file: global.config,
        env: process.env,
        overrides: {
          dataDir: global.dataDir,
          ...(options.apiPort !== undefined ? { api: { port: options.apiPort } } : {}),
          ...(options.logLevel !== undefined ? { log: { level: options.logLevel as 'info' } } : {}),
          ...clusterOverrides(options),
        },
      });
      // Environment faults are found before storage starts (no journal replay, no migration),
      // and each ends the command with one line.
      checkDataDir(global.dataDir);
      await checkPortFree(config.api.host, config.api.port);
      if (!isLoopbackHost(config.api.host)) {
        process.stderr.write(
          `aviary: warning: the control API listens on ${config.api.host} (api.allowRemote is true): anyone who can reach it and holds the token controls this runtime\n`,
        );
      }
      // The runtime is loaded here, not at CLI start: other commands never need it.
      const [{ createLogger }, { createDefaultRuntime }] = await Promise.all([
        import('../../log.js'),
        import('../../runtime/default-runtime.js'),
      ]);
      const log = createLogger({ level: config.log.level, format: options.logFormat });
      const runtime = createDefaultRuntime({ config, log });
      // Signals are taken before start: a Ctrl-C or SIGTERM during start-up (migrations, journal
      // replay) waits for the start to finish and then stops gracefully, never mid-write.
      let signalled: string | undefined;
      let onSignal: (signal: string) => void = (signal) => {
        signalled ??= signal;
      };
      const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
      process.on('SIGINT', handlers.SIGINT);
      process.on('SIGTERM', handlers.SIGTERM);
      try {
        await runtime.start();
      } catch (error) {
        process.off('SIGINT', handlers.SIGINT);
        process.off('SIGTERM', handlers.SIGTERM);
        throw error;
      }
      const say = (line: string) => process.stdout.write(`${line}\n`);
      if (global.json) {
        say(
          JSON.stringify({
            dataDir: runtime.dataDir,
            apiUrl: runtime.apiUrl,
            storage: runtime.health().checks.storage?.detail,
            metricsUrl: `${runtime.apiUrl}/metrics`,
            pid: process.pid,
          }),
        );
      } else {
        say(`Aviary is running (pid ${process.pid}).`);
        say(`  data:    ${runtime.dataDir}`);
        say(`  storage: ${runtime.health().checks.storage?.detail ?? 'unknown'}`);
        if (config.cluster.enabled)
          say(`  cluster: ${runtime.health().checks.cluster?.detail ?? 'unknown'}`);
        say(`  API:     ${runtime.apiUrl}  (bearer token in ${runtime.dataDir}/api-token)`);
        say(`  metrics: ${runtime.apiUrl}/metrics`);
        say(`  status page: ${runtime.apiUrl}/ui`);
        // From a checkout the CLI is not on PATH: show the command that works from here.
        const script = process.argv[1] ?? '';
        const cli = /\/dist\/(src\/cli\/main|cli\/aviary)\.js$/.test(script)
          ? `node ${relative(process.cwd(), script) || script}`
          : 'aviary';
        say('Next: in another terminal, add an account with');
        say(
          `  echo "$PASSWORD" | ${cli} --data-dir ${runtime.dataDir} profile add alice --jid alice@example.org --password-stdin`,
        );
        say(`and check on it with "${cli} status". Press Ctrl-C to stop.`);
      }
      await new Promise<void>((resolve) => {
        let stopping = false;
        onSignal = (signal) => {
          // Further signals while stopping are ignored: the stop is bounded by shutdownTimeoutMs.
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'stopping');
          void runtime.stop().then(resolve, (error: unknown) => {
            log.error({ err: error }, 'stop failed');
            resolve();
          });
        };
        if (signalled !== undefined) onSignal(signalled);
      });
      process.off('SIGINT', handlers.SIGINT);
      process.off('SIGTERM', handlers.SIGTERM);
      if (!global.json) say('Aviary stopped.');
    });
}

interface RunOptions {
  apiPort?: number;
  logLevel?: string;
  logFormat: 'auto' | 'json' | 'pretty';
  cluster?: boolean;
  nodeName?: string;
}

/** `--cluster` and `--node-name` as configuration (the file may enable cluster mode too). */
function clusterOverrides(options: RunOptions) {
  if (options.cluster !== true && options.nodeName === undefined) return {};
  return {
    cluster: {
      ...(options.cluster === true ? { enabled: true } : {}),
      ...(options.nodeName !== undefined ? { nodeName: options.nodeName } : {}),
    },
  };
}
