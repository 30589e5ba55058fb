import { pino } from 'pino';
import type { KernelLogger } from './actors/types.js';

export type Logger = pino.Logger;

/**
 * Structured JSON logs (pino) on stderr, so stdout stays free for command output.
 * Children carry context: `log.child({ profile: 'alice' })`. Secrets are redacted by key name.
 */
export function createLogger(options: { level?: string; destination?: number } = {}): Logger {
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
    pino.destination({ fd: options.destination ?? 2, sync: false }),
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
