/**
 * Shared set-up of the workflow integration tests: a runtime whose logs are captured (so a
 * test can find the typed error a failed message was logged with), and test plugins that hand
 * each entity's hook registry to the test.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/log.js';
import type { Plugin } from '../../src/plugins/plugin.js';
import type { RuntimeEvents } from '../../src/runtime/events.js';
import type { HookRegistry } from '../../src/workflow/hooks.js';

/** A log record as pino writes it. */
export type LogRecord = Readonly<Record<string, unknown>> & { readonly msg?: string };

/** A pino logger writing to memory. */
export function capturedLogger(level = 'warn'): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') records.push(JSON.parse(line) as LogRecord);
      }
      done();
    },
  });
  return { log: pino({ level }, stream), records };
}

/**
 * Client plugins named `names` that register nothing themselves but record every entity's hook
 * registry (by entity name), so tests add and remove hooks as they go.
 */
export function hookCapturePlugins(names: readonly string[]): {
  plugins: Plugin[];
  registries: Map<string, HookRegistry>;
} {
  const registries = new Map<string, HookRegistry>();
  const plugins = names.map(
    (name): Plugin => ({
      name,
      modes: ['client'],
      setup({ host, hooks }) {
        registries.set(host.name, hooks);
      },
    }),
  );
  return { plugins, registries };
}

/** The first body of a `messageNew` payload (any language). */
export function bodyOf(m: RuntimeEvents['messageNew']): string | undefined {
  const bodies = (m as { message?: Record<string, string> }).message ?? {};
  return Object.values(bodies)[0];
}
