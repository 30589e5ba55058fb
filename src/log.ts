import { isatty } from 'node:tty';
import { pino } from 'pino';
import type { KernelLogger } from './actors/types.js';
import { prettyDestination } from './log-pretty.js';

export type Logger = pino.Logger;

/** How log records are written: JSON lines, or human-readable lines (`auto`: pretty on a TTY). */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * Structured logs (pino) on stderr, so stdout stays free for command output: human-readable on
 * a terminal, JSON lines otherwise (`format` forces one). Children carry context:
 * `log.child({ profile: 'alice' })`. Secrets are redacted by key name.
 */
export function createLogger(
  options: { level?: string; destination?: number; format?: LogFormat } = {},
): Logger {
  const fd = options.destination ?? 2;
  const sink = pino.destination({ fd, sync: false });
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && isatty(fd));
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: {
        paths: [
          'password',
          '*.password',
          'secret',
          '*.secret',
          'token',
          '*.token',
          'authorization',
        ],
        censor: '[redacted]',
      },
    },
    pretty
      ? prettyDestination(sink, { color: isatty(fd) && (process.env.NO_COLOR ?? '') === '' })
      : sink,
  );
}

/** Adapts a pino logger to the kernel's logging surface (fields first, message second). */
export function kernelLogger(log: Logger): KernelLogger {
  return {
    debug: (fields, msg) => log.debug(fields, msg),
    info: (fields, msg) => log.info(fields, msg),
    warn: (fields, msg) => log.warn(fields, msg),
    error: (fields, msg) => log.error(fields, msg),
  };
}
