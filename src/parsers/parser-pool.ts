/**
 * A pool of worker threads that run pure parser modules (Piscina 5) over pubsub item XML.
 *
 * Items are split into tasks of `batchSize`; each task has its own deadline
 * (`AbortSignal.timeout`, since Piscina 5 ignores a `timeout` option). A hung worker is
 * terminated and replaced by Piscina, and the call rejects with `parser.timeout`; a worker
 * that dies (`process.exit`, uncaught error) rejects with `parser.crashed`. A parser that
 * throws on one item fails that item only (`{ ok: false }`), so the caller decides: fail a
 * node synchronisation, or skip one event item.
 *
 * @example
 * const pool = new ParserPool();
 * const results = await pool.parseBatch(microblogParser, [entryXml], { timeoutMs: 5_000 });
 * await pool.close();
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { AviaryError } from '../errors.js';
import { workerEntry } from '../util/worker-entry.js';
import { classifyTaskError, describeError, type ParserPoolErrorCode } from './parser-errors.js';
import type {
  ParseItemJsonResult,
  ParseItemResult,
  ParseOutput,
  ParseRequest,
  ParseResponse,
  ParserRef,
} from './parser-protocol.js';

export interface ParserPoolOptions {
  /** Threads kept alive (default 1). */
  readonly minThreads?: number;
  /** Most threads (default `os.availableParallelism()`). */
  readonly maxThreads?: number;
  /** Items per task (default 64). */
  readonly batchSize?: number;
  /** Default deadline per task, queueing included (default 10 s). */
  readonly timeoutMs?: number;
  /** Tasks one `parseBatch` call keeps in flight (default 2 × maxThreads). */
  readonly windowPerCall?: number;
  /** Tasks waiting for a thread before `run` refuses (default 1024). */
  readonly maxQueue?: number;
  /** How long `close()` waits for running tasks before terminating them (default 5 s). */
  readonly closeTimeoutMs?: number;
  /** Idle time before surplus threads stop (default 30 s). */
  readonly idleTimeoutMs?: number;
  /** Called for errors Piscina reports outside any task (e.g. a close timeout). */
  readonly onError?: (error: AviaryError) => void;
}

export interface ParseBatchOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly batchSize?: number;
  /** `'json'`: results carry JSON text (`{ ok, json }`) instead of values; see ParseOutput. */
  readonly output?: ParseOutput;
}

/** Counters for metrics; a snapshot, not live. */
export interface ParserPoolStats {
  readonly tasksCompleted: number;
  readonly tasksFailed: number;
  readonly itemsParsed: number;
  readonly itemsFailed: number;
  readonly timeouts: number;
  readonly crashes: number;
  readonly queueSize: number;
  readonly threads: number;
  /** Piscina's utilisation: share of pool capacity spent running tasks, 0..1. */
  readonly utilisation: number;
  readonly poolErrors: number;
}

type Counter = Exclude<keyof ParserPoolStats, 'queueSize' | 'threads' | 'utilisation'>;

/** A thin owner of one Piscina instance; see the module comment. */
export class ParserPool {
  readonly #pool: Piscina<ParseRequest, ParseResponse>;
  readonly #batchSize: number;
  readonly #timeoutMs: number;
  readonly #window: number;
  readonly #counts: Record<Counter, number> = {
    tasksCompleted: 0,
    tasksFailed: 0,
    itemsParsed: 0,
    itemsFailed: 0,
    timeouts: 0,
    crashes: 0,
    poolErrors: 0,
  };
  #closing: Promise<void> | undefined;

  constructor(options: ParserPoolOptions = {}) {
    const maxThreads = positive(options.maxThreads ?? availableParallelism(), 'maxThreads');
    const minThreads = Math.min(options.minThreads ?? 1, maxThreads);
    this.#batchSize = positive(options.batchSize ?? 64, 'batchSize');
    this.#timeoutMs = positive(options.timeoutMs ?? 10_000, 'timeoutMs');
    this.#window = positive(options.windowPerCall ?? maxThreads * 2, 'windowPerCall');
    this.#pool = new Piscina<ParseRequest, ParseResponse>({
      filename: workerEntry(import.meta.url, './parser-worker-entry.cjs').href,
      minThreads,
      maxThreads,
      maxQueue: options.maxQueue ?? 1024,
      idleTimeout: options.idleTimeoutMs ?? 30_000,
      closeTimeout: options.closeTimeoutMs ?? 5_000,
    });
    // Without a listener, Piscina's 'error' (close timeout, a worker dying between tasks)
    // would crash the process.
    this.#pool.on('error', (error: unknown) => {
      this.#counts.poolErrors++;
      options.onError?.(
        new AviaryError('parser.pool-error', `parser pool: ${describeError(error)}`, {
          cause: error,
        }),
      );
    });
  }

  /**
   * Parses `items` with `parser`; results are in input order. Rejects with an AviaryError
   * coded as in {@link ParserPoolErrorCode} when a task as a whole fails (no further task of
   * the call is started).
   */
  parseBatch(
    parser: ParserRef,
    items: readonly string[],
    options: ParseBatchOptions & { readonly output: 'json' },
  ): Promise<ParseItemJsonResult[]>;
  parseBatch(
    parser: ParserRef,
    items: readonly string[],
    options?: ParseBatchOptions & { readonly output?: 'value' },
  ): Promise<ParseItemResult[]>;
  async parseBatch(
    parser: ParserRef,
    items: readonly string[],
    options: ParseBatchOptions = {},
  ): Promise<(ParseItemResult | ParseItemJsonResult)[]> {
    if (this.#closing) throw new AviaryError('parser.closed', 'the parser pool is closed');
    const batchSize = positive(options.batchSize ?? this.#batchSize, 'batchSize');
    const timeoutMs = positive(options.timeoutMs ?? this.#timeoutMs, 'timeoutMs');
    const output = options.output ?? 'value';
    const results: (ParseItemResult | ParseItemJsonResult)[] = new Array(items.length);
    const signals = options.signal ? [options.signal] : [];
    let next = 0;
    let failed = false;
    // Each lane runs one task at a time; after a failure no lane starts another task, but
    // tasks already running finish normally (aborting them would cost their workers).
    const lane = async (): Promise<void> => {
      while (next < items.length && !failed) {
        const start = next;
        next += batchSize;
        const chunk = items.slice(start, start + batchSize);
        try {
          const chunkResults = await this.#runTask(parser, chunk, output, signals, timeoutMs);
          for (let i = 0; i < chunkResults.length; i++) results[start + i] = chunkResults[i]!;
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    const lanes = Math.min(this.#window, Math.ceil(items.length / batchSize));
    await Promise.all(Array.from({ length: lanes }, lane));
    return results;
  }

  async #runTask(
    parser: ParserRef,
    items: string[],
    output: ParseOutput,
    signals: AbortSignal[],
    timeoutMs: number,
  ): Promise<readonly (ParseItemResult | ParseItemJsonResult)[]> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([...signals, timeout]);
    let response: ParseResponse;
    try {
      response = await this.#pool.run(
        { type: 'parse', module: parser.module, export: parser.export, items, output },
        { signal },
      );
    } catch (error) {
      this.#counts.tasksFailed++;
      const failure = classifyTaskError(error, {
        closing: this.#closing !== undefined,
        timedOut: timeout.aborted,
        parser,
        items: items.length,
        timeoutMs,
      });
      if (failure.code === 'parser.timeout') this.#counts.timeouts++;
      if (failure.code === 'parser.crashed') this.#counts.crashes++;
      throw failure;
    }
    if (response.type === 'load-failed') {
      this.#counts.tasksFailed++;
      // A value, not a thrown error: the module is missing or has no such export.
      throw new AviaryError(
        'parser.load-failed',
        `cannot load parser ${parser.export} from ${parser.module}: ${response.error.message}`,
        { details: { module: parser.module, export: parser.export } },
      );
    }
    this.#counts.tasksCompleted++;
    for (const result of response.results) {
      if (result.ok) this.#counts.itemsParsed++;
      else this.#counts.itemsFailed++;
    }
    return response.results;
  }

  /** A snapshot of counters and Piscina's queue and utilisation. */
  stats(): ParserPoolStats {
    return {
      ...this.#counts,
      queueSize: this.#pool.queueSize,
      threads: this.#pool.threads.length,
      utilisation: this.#pool.utilization,
    };
  }

  /** Stops the pool; running tasks get `closeTimeoutMs`. Never rejects; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.close().catch(() => undefined);
    return this.#closing;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new AviaryError('parser.invalid-options', `${name} must be a positive integer`, {
      details: { [name]: value },
    });
  }
  return value;
}
