import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type AviaryError, isAviaryError } from '../errors.js';
import { workerEntry } from '../util/worker-entry.js';
import { ParserPool } from './parser-pool.js';
import type { ParserRef } from './parser-protocol.js';

// Needs `npx tsc -p tsconfig.json` first: workers load the compiled modules under dist/.
const fixtures = workerEntry(import.meta.url, './test-fixtures/bad-parsers.js').href;
const ref = (name: string): ParserRef => ({ module: fixtures, export: name });
const microblog: ParserRef = {
  module: fileURLToPath(workerEntry(import.meta.url, './microblog.js')),
  export: 'parseMicroblog',
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('ParserPool', () => {
  const pool = new ParserPool({ minThreads: 1, maxThreads: 2, batchSize: 4, timeoutMs: 5_000 });
  afterAll(() => pool.close());

  it('parses real items with a parser loaded from an absolute path, in input order', async () => {
    const entries = Array.from(
      { length: 10 },
      (_, i) =>
        `<entry xmlns="http://www.w3.org/2005/Atom"><id>n${i}</id><title>T ${i}</title></entry>`,
    );
    const results = await pool.parseBatch(microblog, entries);
    expect(results).toHaveLength(10);
    results.forEach((result, i) => {
      expect(result.ok).toBe(true);
      if (result.ok) expect((result.value as { id: string }).id).toBe(`n${i}`);
    });
  });

  it('fails only the throwing item and keeps serving', async () => {
    const results = await pool.parseBatch(ref('throwOnItem'), ['a', 'throw', 'b', 'reject']);
    expect(results[0]).toEqual({ ok: true, value: { echo: 'a' } });
    expect(results[1]).toEqual({ ok: false, error: { message: 'this item is bad' } });
    expect(results[2]).toEqual({ ok: true, value: { echo: 'b' } });
    const asyncResults = await pool.parseBatch(ref('rejectOnItem'), ['x', 'reject']);
    expect(asyncResults[1]).toEqual({ ok: false, error: { message: 'async failure' } });
    expect(pool.stats().itemsFailed).toBeGreaterThanOrEqual(2);
  });

  it('turns a worker that exits into parser.crashed, then serves the next task', async () => {
    const before = pool.stats().crashes;
    const error = await rejection(pool.parseBatch(ref('exitOnItem'), ['a', 'exit']));
    expect(isAviaryError(error, 'parser.crashed')).toBe(true);
    expect(pool.stats().crashes).toBe(before + 1);
    const results = await pool.parseBatch(ref('exitOnItem'), ['still', 'alive']);
    expect(results).toEqual([
      { ok: true, value: { echo: 'still' } },
      { ok: true, value: { echo: 'alive' } },
    ]);
  });

  it('turns a hung parser into parser.timeout, then serves the next task', async () => {
    const before = pool.stats().timeouts;
    const error = await rejection(pool.parseBatch(ref('hangOnItem'), ['hang'], { timeoutMs: 300 }));
    expect(isAviaryError(error, 'parser.timeout')).toBe(true);
    // The call's own timeout fired, not the pool's 5 s default (asserted without a stopwatch).
    expect((error as AviaryError).details?.timeoutMs).toBe(300);
    expect(pool.stats().timeouts).toBe(before + 1);
    const results = await pool.parseBatch(ref('hangOnItem'), ['fine']);
    expect(results).toEqual([{ ok: true, value: { echo: 'fine' } }]);
  });

  it('reports a parser that cannot be loaded as parser.load-failed', async () => {
    const missingExport = await rejection(pool.parseBatch(ref('notAFunction'), ['a']));
    expect(isAviaryError(missingExport, 'parser.load-failed')).toBe(true);
    const relative = await rejection(
      pool.parseBatch({ module: './nowhere.js', export: 'x' }, ['a']),
    );
    expect(isAviaryError(relative, 'parser.load-failed')).toBe(true);
  });

  it('honours the caller signal with parser.aborted', async () => {
    const controller = new AbortController();
    const pending = pool.parseBatch(ref('hangOnItem'), ['hang'], {
      signal: controller.signal,
      timeoutMs: 10_000,
    });
    setTimeout(() => controller.abort(), 100);
    const error = await rejection(pending);
    expect(isAviaryError(error, 'parser.aborted')).toBe(true);
  });

  it('returns no results for no items and splits by a per-call batch size', async () => {
    expect(await pool.parseBatch(ref('throwOnItem'), [])).toEqual([]);
    const before = pool.stats().tasksCompleted;
    const items = ['a', 'b', 'c', 'd', 'e'];
    const results = await pool.parseBatch(ref('throwOnItem'), items, { batchSize: 2 });
    expect(results.map((r) => r.ok && (r.value as { echo: string }).echo)).toEqual(items);
    expect(pool.stats().tasksCompleted - before).toBe(3);
  });

  it('returns JSON text with output json, and fails items whose value has no JSON form', async () => {
    const results = await pool.parseBatch(ref('throwOnItem'), ['a', 'throw'], { output: 'json' });
    expect(results[0]).toEqual({ ok: true, json: '{"echo":"a"}' });
    expect(results[1]?.ok).toBe(false);
    const odd = await pool.parseBatch(ref('returnsOddValues'), ['bigint', 'undefined', 'fine'], {
      output: 'json',
    });
    expect(odd[0]?.ok).toBe(false);
    expect(odd[1]).toEqual({
      ok: false,
      error: { message: 'parser returned a value with no JSON form' },
    });
    expect(odd[2]).toEqual({ ok: true, json: '"fine"' });
  });

  it('exposes stats for metrics', () => {
    const stats = pool.stats();
    expect(stats.tasksCompleted).toBeGreaterThan(0);
    expect(stats.itemsParsed).toBeGreaterThanOrEqual(10);
    expect(stats.queueSize).toBe(0);
    expect(stats.utilisation).toBeGreaterThanOrEqual(0);
    expect(stats.utilisation).toBeLessThanOrEqual(1);
  });
});

describe('ParserPool.close', () => {
  it('does not crash the process when running tasks outlive the close timeout', async () => {
    const errors: string[] = [];
    const pool = new ParserPool({
      maxThreads: 1,
      closeTimeoutMs: 100,
      onError: (e) => errors.push(e.code),
    });
    const hung = rejection(pool.parseBatch(ref('hangOnItem'), ['hang'], { timeoutMs: 60_000 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await pool.close();
    await pool.close();
    const error = await hung;
    expect(isAviaryError(error, 'parser.closed')).toBe(true);
    expect(errors).toContain('parser.pool-error');
    const afterClose = await rejection(pool.parseBatch(ref('throwOnItem'), ['a']));
    expect(isAviaryError(afterClose, 'parser.closed')).toBe(true);
  });

  it('rejects invalid options with a typed error', () => {
    expect(() => new ParserPool({ batchSize: 0 })).toThrow(/batchSize/);
  });
});
