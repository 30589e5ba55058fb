import { CliError } from './output.js';
import { canAsk, promptHiddenSecret } from './terminal-prompt.js';

/**
 * Reads a secret from standard input (first line, without the newline); at a terminal it asks
 * without echoing what is typed.
 */
export async function readStdinSecret(what: string): Promise<string> {
  if (canAsk()) return promptHiddenSecret(what);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const value = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (value === '') throw new CliError(`no ${what} on standard input`);
  return value;
}

/** Reads a secret from an environment variable; never from the command line (it would show in ps). */
export function envSecret(variable: string, what: string): string {
  const value = process.env[variable];
  if (value === undefined || value === '')
    throw new CliError(`environment variable ${variable} (the ${what}) is empty or unset`);
  return value;
}
