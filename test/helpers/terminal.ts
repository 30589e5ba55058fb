/**
 * Runs a command on a pseudo-terminal made by util-linux `script`, for tests of what a person at
 * a terminal sees (colours, prompts, Ctrl-C).
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';

export interface TerminalProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything the terminal has shown so far (what the program wrote and what it echoed). */
  screen(): string;
  /** Types on the terminal: '\r' is Enter, '\u0003' is Ctrl-C. */
  type(keys: string): void;
  /** Resolves with the program's exit code once the terminal has closed. */
  readonly closed: Promise<number | null>;
}

export function spawnOnTerminal(argv: readonly string[]): TerminalProcess {
  if (spawnSync('script', ['--version']).error)
    throw new Error('this test needs script (util-linux): apt-get install -y util-linux');
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
  // `script` runs the command through $SHELL (/bin/sh when unset, as under CI). dash does not
  // exec a lone command: without `exec` the shell stays in the terminal's foreground process
  // group and dies of a Ctrl-C itself (exit 130) while the program under test stops cleanly.
  const child = spawn('script', ['-qefc', `exec ${quoted.join(' ')}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, SHELL: '/bin/sh' },
  });
  let screen = '';
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    screen: () => screen,
    type: (keys) => child.stdin.write(keys),
    closed,
  };
}
