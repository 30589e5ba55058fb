/**
 * Questions the CLI asks a person at a terminal: a yes/no confirmation before destroying data,
 * and a secret typed without echo. Without a terminal (a script, CI, a pipe) nothing is asked:
 * a destructive command needs `--yes`, and a secret comes from `--password-stdin` or an
 * environment variable.
 */
import { CliError, usageError } from './output.js';

/** True when a person can answer: standard input and standard error are both terminals. */
export function canAsk(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** Reads one line typed at the terminal; with `hidden`, nothing typed is echoed. */
function readTerminalLine(prompt: string, hidden: boolean): Promise<string> {
  const stdin = process.stdin;
  // Raw mode before the prompt shows: the terminal must not echo a key typed right after it.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || char === '\u0004')
          return finish(new CliError('cancelled at the terminal'));
        if (char === '\u007f' || char === '\b') {
          if (line.length > 0 && !hidden) process.stderr.write('\b \b');
          line = [...line].slice(0, -1).join('');
          continue;
        }
        line += char;
        if (!hidden) process.stderr.write(char);
      }
    };
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * Lets a destructive command go on: with `--yes`, at once; at a terminal, when the person
 * answers y; otherwise refused (exit 2) with the reason and the way to confirm.
 *
 * @example
 * await confirmDestructive('drop every cached node and its items', o.yes === true);
 */
export async function confirmDestructive(what: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (!canAsk())
    throw usageError(`this would ${what}; no terminal to confirm on: add --yes to go ahead`);
  const answer = await readTerminalLine(`This will ${what}. Continue? [y/N] `, false);
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('not confirmed: nothing was changed');
}

/** Asks for a secret at the terminal without echoing it. */
export async function promptHiddenSecret(what: string): Promise<string> {
  const value = await readTerminalLine(`${what} (not shown): `, true);
  if (value === '') throw new CliError(`no ${what} given`);
  return value;
}
