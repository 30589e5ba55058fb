import { resolve } from 'node:path';
import type { Command } from 'commander';

/** Global options every command understands. */
export interface GlobalOptions {
  readonly dataDir: string;
  readonly json: boolean;
  readonly config: string | undefined;
}

/** Reads the global options from the root program (`--data-dir`, env AVIARY_DATA_DIR, default ./data). */
export function globalOptions(command: Command): GlobalOptions {
  let root = command;
  while (root.parent) root = root.parent;
  const opts = root.opts<{ dataDir?: string; json?: boolean; config?: string }>();
  return {
    dataDir: resolve(opts.dataDir ?? process.env.AVIARY_DATA_DIR ?? './data'),
    json: opts.json === true,
    config: opts.config,
  };
}
