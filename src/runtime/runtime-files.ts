import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export const TOKEN_FILE = 'api-token';
export const RUNTIME_INFO_FILE = 'runtime.json';

/** What a running runtime publishes about itself in its data folder (no secrets). */
export interface RuntimeInfo {
  readonly pid: number;
  readonly apiUrl: string;
  readonly startedAt: string;
  readonly version: string;
}

/**
 * Returns the control API's bearer token, creating it (32 random bytes, hex) in
 * `DATA/api-token` with mode 0600 on first use.
 */
export function ensureApiToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, TOKEN_FILE);
  if (existsSync(path)) {
    chmodSync(path, 0o600);
    return readFileSync(path, 'utf8').trim();
  }
  const token = randomBytes(32).toString('hex');
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return token;
}

export function readApiToken(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, TOKEN_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): void {
  const path = join(dataDir, RUNTIME_INFO_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

export function readRuntimeInfo(dataDir: string): RuntimeInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, RUNTIME_INFO_FILE), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
}

export function removeRuntimeInfo(dataDir: string): void {
  rmSync(join(dataDir, RUNTIME_INFO_FILE), { force: true });
}
