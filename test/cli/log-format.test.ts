/**
 * `aviary run` logs readable lines on a terminal and JSON lines otherwise (through the built
 * binary; the terminal is a pseudo-terminal made by `script`, and Ctrl-C stops the runtime,
 * which logs "stopping" at info level).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, tempDataDir } from '../helpers/cli.js';
import { spawnOnTerminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait-for.js';

describe('log format', () => {
  it('on a terminal, log records are readable lines, not JSON', async () => {
    const dataDir = tempDataDir();
    const terminal = spawnOnTerminal([
      process.execPath,
      CLI,
      '--data-dir',
      dataDir,
      'run',
      '--log-level',
      'info',
    ]);
    await waitFor(() => terminal.screen().includes('Press Ctrl-C to stop'), 60_000);
    terminal.type('\u0003');
    expect(await terminal.closed).toBe(0);
    const screen = terminal.screen();
    // Coloured on a terminal; without the colours, one readable line per record.
    expect(screen).toContain('\u001b[32mINFO');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing ANSI colour codes
    const plain = screen.replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/\d\d:\d\d:\d\d\.\d{3} INFO {2}stopping {2}signal=SIGINT/);
    expect(plain).not.toContain('"level":');
  }, 90_000);

  it('off a terminal, each log record is one JSON object', async () => {
    const dataDir = tempDataDir();
    const child = spawn(
      process.execPath,
      [CLI, '--data-dir', dataDir, 'run', '--log-level', 'info'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => stdout.includes('Aviary is running'), 60_000);
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
    const records = stderr
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(records).toContainEqual(expect.objectContaining({ level: 30, msg: 'stopping' }));
  }, 90_000);
});
