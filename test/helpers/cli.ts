import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerServerLog } from './server-logs.js';

/** The built CLI, as the package's `bin` ships it (tests run after `npm run build`). */
export const CLI = fileURLToPath(new URL('../../dist/cli/aviary.js', import.meta.url));

export function tempDataDir(prefix = 'aviary-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  /** Exit status; null when a signal ended the process (see `signal`). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `aviary ARGS` to completion. */
export function runCli(
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // A CLI ended by a signal has no exit status to explain it: keep what it printed and the
      // signal for the failure report (test/helpers/failure-logs.ts shows stopped logs).
      if (code === null) {
        const text = `ended by ${signal}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
        void registerServerLog(`aviary ${args.join(' ')}`, () => text)();
      }
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A runtime started with `aviary run` in the background. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `aviary --data-dir DIR run` and waits until it says it is running. */
export async function startCliRuntime(
  dataDir: string,
  extra: readonly string[] = [],
): Promise<RunningCli> {
  const child = spawn(
    process.execPath,
    [CLI, '--data-dir', dataDir, 'run', '--log-level', 'warn', ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  // Shown when a test fails while it runs (test/helpers/failure-logs.ts).
  const unregister = registerServerLog(`aviary run ${dataDir} output`, () => output);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      void unregister();
      resolve(code);
    }),
  );
  const deadline = Date.now() + 30_000;
  // The ready banner is several writes (API address, metrics, ...): wait for its last line, not
  // its first, or a caller parsing the address can read a banner cut in half under load.
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`aviary run did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * A fresh data folder holding an empty store, made by `aviary init` (every command but `run`
 * and `init` refuses a folder without one).
 */
export async function initDataDir(prefix = 'aviary-test-'): Promise<string> {
  const dataDir = tempDataDir(prefix);
  const result = await runCli(['--data-dir', dataDir, 'init']);
  if (result.code !== 0) throw new Error(`aviary init failed (${result.code}): ${result.stderr}`);
  return dataDir;
}
