/** Log sink of the storage engine (pino-compatible shape, no dependency on pino). */
export type StorageLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * @example
 * const log: StorageLog = (level, msg, fields) => logger[level](fields ?? {}, msg);
 */
export type StorageLog = (
  level: StorageLogLevel,
  msg: string,
  fields?: Readonly<Record<string, unknown>>,
) => void;

/** A sink that drops everything. */
export const silentLog: StorageLog = () => undefined;
