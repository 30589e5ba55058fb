/**
 * `aviary profile import|export|modify`: fleet operations on many profiles. They act on the
 * running runtime when one runs (through its control API), else on the data folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { withOperationSession } from '../operation-session.js';
import { CliError, emit, usageError } from '../output.js';
import {
  EXPORT_COLUMNS,
  exportLine,
  type FileProblem,
  formatOfPath,
  type ProfileFileFormat,
  parseProfileFile,
  profileRequestOfRow,
} from '../profile-file.js';
import { envSecret, readStdinSecret } from '../secret-input.js';
import { canAsk } from '../terminal-prompt.js';

/** One import batch per call: the storage commits each in a few group commits. */
const DEFAULT_BATCH = 500;

const format = (value: string): ProfileFileFormat => {
  if (value !== 'csv' && value !== 'jsonl') throw usageError('--format must be csv or jsonl');
  return value;
};

const batchSize = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw usageError(`--batch-size must be 1..1000, got ${value}`);
  return n;
};

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw usageError(`port must be 1..65535, got ${value}`);
  return n;
};

/** Well under the control API's default body limit (1 MiB), whatever the rows hold. */
const MAX_BATCH_BYTES = 512 * 1024;

/** Splits rows into batches of at most `size` rows and {@link MAX_BATCH_BYTES} of JSON. */
function batches<T extends { request: Record<string, unknown> }>(
  rows: readonly T[],
  size: number,
): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const rowBytes = Buffer.byteLength(JSON.stringify(row.request)) + 1;
    if (current.length > 0 && (current.length >= size || bytes + rowBytes > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += rowBytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

interface ImportReport {
  readonly dryRun: boolean;
  readonly rows: number;
  readonly imported: number;
  readonly failed: readonly (FileProblem & { name?: string; code?: string })[];
}

async function progressBar(total: number, show: boolean) {
  if (!show) return { update: (_n: number) => undefined, stop: () => undefined };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { format: 'import [{bar}] {value}/{total} rows', stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (n: number) => bar.update(n), stop: () => bar.stop() };
}

export function registerProfileFleetCommands(program: Command): void {
  const profile = program.commands.find((c) => c.name() === 'profile');
  if (profile === undefined) throw new Error('register the profile commands first');

  profile
    .command('import <file>')
    .description(
      'add many profiles from a CSV file (header row) or JSON lines; bad rows are reported with their line and the good ones still added',
    )
    .option('--format <format>', 'csv or jsonl (default: from the file extension)', format)
    .option(
      '--password-env <var>',
      'environment variable holding the password of rows with neither a password nor a password_env column',
    )
    .option('--dry-run', 'check every row (format, rules, existing names) and add nothing')
    .option('--batch-size <n>', `rows per request (default ${DEFAULT_BATCH})`, batchSize)
    .addHelpText(
      'after',
      '\nColumns (CSV header or JSON keys): name, jid, password | password_env, server, port,\ntls (required|optional|off), autoconnect (true|false), ca_file, verify_tls (true|false).\nExit status 1 when any row failed (the others are added).',
    )
    .action(async (file: string, o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      const chosen = (o.format as ProfileFileFormat | undefined) ?? formatOfPath(file);
      if (chosen === undefined)
        throw usageError(`cannot tell the format of ${file}: give --format csv or --format jsonl`);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
      }
      const { rows, problems } = parseProfileFile(text, chosen);
      const failed: (FileProblem & { name?: string; code?: string })[] = [...problems];
      const requests: { line: number; request: Record<string, unknown> }[] = [];
      for (const row of rows) {
        try {
          const request = profileRequestOfRow(
            row.fields,
            process.env,
            o.passwordEnv as string | undefined,
          );
          requests.push({ line: row.line, request });
        } catch (error) {
          failed.push({ line: row.line, reason: (error as Error).message });
        }
      }
      const dryRun = o.dryRun === true;
      const size = (o.batchSize as number | undefined) ?? DEFAULT_BATCH;
      let imported = 0;
      if (requests.length > 0) {
        await withOperationSession(global, ['profile.import'], async (session) => {
          const bar = await progressBar(
            requests.length,
            process.stderr.isTTY === true && !global.json,
          );
          try {
            let done = 0;
            for (const batch of batches(requests, size)) {
              const result = await session.call('profile.import', {
                profiles: batch.map((b) => b.request),
                dryRun,
              });
              imported += result.added.length;
              for (const f of result.failed) {
                failed.push({
                  line: batch[f.index]?.line ?? 0,
                  ...(f.name !== undefined ? { name: f.name } : {}),
                  code: f.code,
                  reason: f.message,
                });
              }
              done += batch.length;
              bar.update(done);
            }
          } finally {
            bar.stop();
          }
        });
      }
      failed.sort((a, b) => a.line - b.line);
      const report: ImportReport = {
        dryRun,
        rows: rows.length + problems.length,
        imported,
        failed,
      };
      emit(global.json, report, () =>
        [
          `${dryRun ? 'would import' : 'imported'} ${imported} of ${report.rows} profiles${failed.length > 0 ? `; ${failed.length} failed:` : ''}`,
          ...failed.map((f) => `  line ${f.line}${f.name ? ` (${f.name})` : ''}: ${f.reason}`),
        ].join('\n'),
      );
      if (failed.length > 0) process.exitCode = 1;
    });

  profile
    .command('export')
    .description('write every profile as CSV or JSON lines (no passwords unless --with-secrets)')
    .option('--format <format>', 'csv (default) or jsonl', format)
    .option('-o, --output <file>', 'write to this file (mode 0600) instead of standard output')
    .option('--with-secrets', 'include the passwords in clear (anyone with the file can log in)')
    .action(async (o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      const chosen = (o.format as ProfileFileFormat | undefined) ?? 'csv';
      const withSecrets = o.withSecrets === true;
      if (withSecrets) {
        process.stderr.write(
          'aviary: warning: the export holds every password in clear; keep it private and delete it when done\n',
        );
      }
      const profiles = await withOperationSession(global, ['profile.export'], (session) =>
        session.call('profile.export', { withSecrets }),
      );
      const columns = withSecrets ? EXPORT_COLUMNS : EXPORT_COLUMNS.filter((c) => c !== 'password');
      const lines = profiles.map((p) => exportLine(p, chosen, columns));
      if (chosen === 'csv') lines.unshift(columns.join(','));
      const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
      if (o.output === undefined) {
        // `aviary profile export | head` closes the pipe early: that is not a failure.
        process.stdout.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EPIPE') throw error;
        });
        process.stdout.write(text);
      } else {
        writeFileSync(o.output as string, text, { mode: 0o600 });
        process.stderr.write(
          `aviary: ${profiles.length} profiles written to ${String(o.output)}\n`,
        );
      }
    });

  profile
    .command('modify <name>')
    .description("change a profile's password, server, port or TLS policy (restarts it with them)")
    .option('--password-env <var>', 'new password from this environment variable')
    .option('--password-stdin', 'new password from standard input')
    .option('--password-prompt', 'ask for the new password at the terminal (not shown)')
    .option('--server <host>', 'connect to this host')
    .option('--port <n>', 'server port', port)
    .option('--tls <policy>', 'required, optional, or off (loopback servers only)')
    .action(async (name: string, o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      const sources = ['passwordEnv', 'passwordStdin', 'passwordPrompt'].filter(
        (k) => o[k] !== undefined,
      );
      if (sources.length > 1)
        throw usageError(
          'give the new password with one of --password-env, --password-stdin or --password-prompt',
        );
      if (o.passwordPrompt === true && !canAsk())
        throw usageError(
          '--password-prompt needs a terminal; use --password-env VAR or --password-stdin',
        );
      const tls = o.tls === 'off' ? 'disabled' : o.tls;
      if (tls !== undefined && tls !== 'required' && tls !== 'optional' && tls !== 'disabled')
        throw usageError('--tls must be required, optional or off');
      if (
        sources.length === 0 &&
        o.server === undefined &&
        o.port === undefined &&
        tls === undefined
      )
        throw usageError('nothing to change: give a new password, --server, --port or --tls');
      const password =
        o.passwordEnv !== undefined
          ? envSecret(o.passwordEnv as string, 'password')
          : o.passwordStdin === true || o.passwordPrompt === true
            ? await readStdinSecret('password')
            : undefined;
      const status = await withOperationSession(global, ['profile.modify'], (session) =>
        session.call('profile.modify', {
          name,
          ...(password !== undefined ? { password } : {}),
          ...(o.server !== undefined ? { serverHost: o.server as string } : {}),
          ...(o.port !== undefined ? { serverPort: o.port as number } : {}),
          ...(tls !== undefined ? { tls: tls as 'required' | 'optional' | 'disabled' } : {}),
        }),
      );
      emit(global.json, status, () => `profile ${status.name} modified, ${status.state}`);
    });
}
