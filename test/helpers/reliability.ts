/**
 * Shared pieces of the reliability suite (test/reliability): a raw XMPP peer on the test Prosody,
 * a heap sampler, percentiles and a line-capturing pino logger.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { systemClock } from '../../src/actors/clock.js';
import type { Logger } from '../../src/log.js';
import { type ClientConnection, createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import type { ProsodyFixture } from './prosody.js';
import { registerServerLog } from './server-logs.js';

/** A raw client (no runtime, no workflow) logged in to the test Prosody over verified STARTTLS. */
export async function rawPeer(
  prosody: ProsodyFixture,
  username: string,
  password: string,
  resource = 'raw',
): Promise<ClientConnection> {
  const conn = createClientConnection({
    jid: `${username}@${prosody.domain}/${resource}`,
    password,
    server: { host: '127.0.0.1', port: prosody.c2sPort },
    tls: 'required',
    tlsOptions: { ca: prosody.caCertPem },
    saltedPasswordCache: createSaltedPasswordCache(),
    clock: systemClock,
    timeoutMs: 10_000,
    maxStanzaBytes: 16 * 1024 * 1024,
  });
  await conn.connect();
  return conn;
}

/** The `q` quantile (0..1) of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Samples `process.memoryUsage().heapUsed` every `everyMs` until `stop()`. */
export function sampleHeap(everyMs = 250): { stop(): number[]; samples: number[] } {
  const samples: number[] = [process.memoryUsage().heapUsed];
  const timer = setInterval(() => samples.push(process.memoryUsage().heapUsed), everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      samples.push(process.memoryUsage().heapUsed);
      return samples;
    },
  };
}

/** Runs a full GC when node was started with --expose-gc (vitest's workers usually are not). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** A pino logger at `level` whose JSON lines are kept in `lines` (for "no secret in logs" checks). */
export function capturingLogger(level = 'debug'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(line);
      done();
    },
  });
  // Shown when a test fails (test/helpers/failure-logs.ts).
  registerServerLog(`captured runtime log (${level})`, () => lines.join('\n'));
  return { log: pino({ level }, stream) as unknown as Logger, lines };
}

/** Sleeps `ms` of wall time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
