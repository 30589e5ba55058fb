import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { AviaryError } from '../errors.js';
import { type AviaryConfig, type AviaryConfigInput, configSchema } from './config-schema.js';

/** Configuration that failed validation; `details.issues` lists each bad key. */
export class ConfigError extends AviaryError<'config.invalid'> {
  constructor(message: string, issues: { key: string; problem: string }[]) {
    super('config.invalid', message, { details: { issues } });
    this.name = 'ConfigError';
  }
}

/**
 * Environment overrides: `AVIARY_<SECTION>_<KEY>` in upper snake case, e.g.
 * `AVIARY_API_PORT=8080`, `AVIARY_LOG_LEVEL=debug`, `AVIARY_XMPP_LOGIN_RATE=50`,
 * and `AVIARY_DATA_DIR`. Values are parsed as JSON when they look like numbers or booleans.
 */
export function environmentOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const shape = configSchema.shape as Record<string, z.ZodType>;
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('AVIARY_') || raw === undefined) continue;
    if (name === 'AVIARY_DATA_DIR') {
      out.dataDir = raw;
      continue;
    }
    if (name === 'AVIARY_SHUTDOWN_TIMEOUT_MS') {
      out.shutdownTimeoutMs = parseScalar(raw);
      continue;
    }
    const rest = name.slice('AVIARY_'.length).toLowerCase().split('_');
    const section = rest[0];
    if (section === undefined || !(section in shape) || rest.length < 2) continue;
    const key = rest
      .slice(1)
      .map((part, i) => (i === 0 ? part : part[0]?.toUpperCase() + part.slice(1)))
      .join('');
    const target = (out[section] ?? {}) as Record<string, unknown>;
    target[key] = parseScalar(raw);
    out[section] = target;
  }
  return out;
}

function parseScalar(raw: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return raw;
}

function merge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a configuration object; errors name each bad key (`api.port: expected number`). */
export function parseConfig(input: unknown, source = 'configuration'): AviaryConfig {
  const result = configSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const keys = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : [];
    const key =
      keys.length > 0 ? keys.map((k) => (path ? `${path}.${k}` : k)).join(', ') : path || '(root)';
    const problem = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
    return { key, problem };
  });
  throw new ConfigError(
    `invalid ${source}: ${issues.map((i) => `${i.key}: ${i.problem}`).join('; ')}`,
    issues,
  );
}

/**
 * Loads the configuration: defaults ← JSON file (if given) ← environment ← explicit overrides.
 * The file format is JSON (see README "Configuration").
 */
export function loadConfig(options: {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  overrides?: AviaryConfigInput;
}): AviaryConfig {
  let fromFile: Record<string, unknown> = {};
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (cause) {
      throw new ConfigError(`cannot read configuration file ${options.file}`, [
        { key: '(file)', problem: (cause as Error).message },
      ]);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isPlainObject(parsed)) throw new Error('the top level must be an object');
      fromFile = parsed;
    } catch (cause) {
      throw new ConfigError(
        `configuration file ${options.file} is not valid JSON: ${(cause as Error).message}`,
        [{ key: '(file)', problem: (cause as Error).message }],
      );
    }
  }
  const merged = merge(
    merge(fromFile, environmentOverrides(options.env ?? {})),
    (options.overrides ?? {}) as Record<string, unknown>,
  );
  return parseConfig(
    merged,
    options.file ? `configuration (${options.file} and environment)` : 'configuration',
  );
}
