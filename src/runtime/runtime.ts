import { resolve } from 'node:path';
import { ActorSystem } from '../actors/actor-system.js';
import { ControlServer, type EventStream, type Route } from '../api/control-server.js';
import { statusPageRoutes } from '../api/status-page.js';
import type { AviaryConfig, AviaryConfigInput } from '../config/config-schema.js';
import { loadConfig } from '../config/load-config.js';
import { AviaryError, isAviaryError } from '../errors.js';
import { createLogger, kernelLogger, type Logger } from '../log.js';
import type { Clock } from '../util/clock.js';
import { createEmitter, type Emitter } from '../util/emitter.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import type { RuntimeEventName, RuntimeEvents } from './events.js';
import { createMetrics, type Metrics } from './metrics.js';
import { ensureApiToken, removeRuntimeInfo, writeRuntimeInfo } from './runtime-files.js';
import { VERSION } from './version.js';

/** One subsystem's health for `GET /health` and `aviary status`. */
export interface HealthEntry {
  readonly ok: boolean;
  readonly detail: string;
}

export interface RuntimeHealth {
  readonly ok: boolean;
  readonly version: string;
  readonly pid: number;
  readonly uptimeSeconds: number;
  readonly checks: Readonly<Record<string, HealthEntry>>;
}

/**
 * A part of the runtime with a lifecycle (storage, entities, cache...). Parts start in order and
 * stop in reverse order; each may add control API routes and health checks.
 */
export interface RuntimePart {
  readonly name: string;
  start(runtime: RuntimeServices): Promise<void>;
  stop(): Promise<void>;
  health?(): HealthEntry;
  routes?(): readonly Route[];
}

/** What parts get from the runtime. */
export interface RuntimeServices {
  readonly config: AviaryConfig;
  readonly dataDir: string;
  readonly system: ActorSystem;
  readonly log: Logger;
  readonly events: Emitter<RuntimeEvents>;
  readonly metrics: Metrics;
  readonly clock: Clock;
}

export interface RuntimeOptions {
  /** Configuration (validated; defaults fill the rest). */
  readonly config?: AviaryConfigInput;
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Serve the control API (default true). */
  readonly api?: boolean;
  /** Extra parts (started after the built-in ones). */
  readonly parts?: readonly RuntimePart[];
  /** Events of entities running elsewhere (cluster nodes), streamed on `GET /events` too. */
  readonly relayedEvents?: Emitter<RuntimeEvents>;
}

/**
 * The runtime kernel: one actor system, its parts, the control API and the typed event emitter.
 * The library's `createRuntime` (default-runtime.ts) builds one with the standard parts.
 *
 * @example
 * const runtime = new Runtime({ config: { dataDir: './data' }, parts: [storage] });
 * await runtime.start();
 * runtime.events.on('connectionState', (e) => console.log(e.name, e.state));
 * await runtime.stop();
 */
export class Runtime {
  readonly config: AviaryConfig;
  readonly dataDir: string;
  readonly log: Logger;
  readonly events: Emitter<RuntimeEvents>;
  readonly metrics: Metrics;
  readonly system: ActorSystem;
  readonly #parts: RuntimePart[];
  readonly #serveApi: boolean;
  readonly #clock: Clock | undefined;
  readonly #relayed: Emitter<RuntimeEvents> | undefined;
  #releaseLock: (() => void) | undefined;
  #server: ControlServer | undefined;
  #apiUrl: string | undefined;
  #startedAt = 0;
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  readonly #started: RuntimePart[] = [];

  constructor(options: RuntimeOptions = {}) {
    this.config = loadConfig({ overrides: options.config ?? {}, env: {} });
    this.dataDir = resolve(this.config.dataDir);
    this.log = options.log ?? createLogger({ level: this.config.log.level });
    this.events = createEmitter<RuntimeEvents>();
    this.metrics = createMetrics();
    this.#clock = options.clock;
    this.system = new ActorSystem({
      log: kernelLogger(this.log.child({ component: 'actors' })),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.system.inspect((event) => {
      if (event.type === 'dead-letter') this.metrics.deadLetters.inc();
      // An actor failure (its supervisor restarts or stops it) reaches the event stream.
      if (event.type === 'failed') {
        this.events.emit('runtimeError', {
          source: `actor ${event.actorId}`,
          code: isAviaryError(event.error) ? event.error.code : 'actor.failed',
          message: event.error instanceof Error ? event.error.message : String(event.error),
        });
      }
      if (event.type === 'message-dropped' && event.reason === 'overflow') {
        this.metrics.mailboxOverflow.inc({
          actor_kind: event.actorId.split('#')[0] ?? 'unknown',
          reason: 'overflow',
        });
      }
    });
    this.#parts = [...(options.parts ?? [])];
    this.#serveApi = options.api ?? true;
    this.#relayed = options.relayedEvents;
  }

  /** The control API's base URL once started (undefined when the API is off). */
  get apiUrl(): string | undefined {
    return this.#apiUrl;
  }

  get state(): string {
    return this.#state;
  }

  /** Registers a part before `start()`. */
  addPart(part: RuntimePart): void {
    if (this.#state !== 'new')
      throw new AviaryError('runtime.started', 'parts must be added before start()');
    this.#parts.push(part);
  }

  /** Takes the data folder lock, starts every part, then serves the control API. */
  async start(): Promise<void> {
    if (this.#state !== 'new')
      throw new AviaryError('runtime.started', `runtime is ${this.#state}`);
    this.#state = 'starting';
    this.#startedAt = Date.now();
    this.#releaseLock = acquireDataDirLock(this.dataDir);
    try {
      const services = this.#services();
      for (const part of this.#parts) {
        await part.start(services);
        this.#started.push(part);
      }
      if (this.#serveApi) await this.#startApi();
      this.#state = 'running';
    } catch (error) {
      await this.stop().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Graceful stop, bounded by `shutdownTimeoutMs`: the API stops taking requests, parts stop in
   * reverse order (entities drain and disconnect before storage flushes), then the lock is released.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return;
    this.#state = 'stopping';
    const timeoutMs = this.config.shutdownTimeoutMs;
    const work = (async () => {
      await this.#server?.close();
      for (const part of [...this.#started].reverse()) {
        try {
          await part.stop();
        } catch (error) {
          this.log.error({ err: error, part: part.name }, 'part failed to stop cleanly');
        }
      }
      await this.system.shutdown({ mode: 'drain' });
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([work.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      this.log.error({ timeoutMs }, 'graceful stop timed out; stopping anyway');
    this.#started.length = 0;
    if (this.#apiUrl !== undefined) removeRuntimeInfo(this.dataDir);
    this.#releaseLock?.();
    this.#state = 'stopped';
    this.log.flush?.();
  }

  health(): RuntimeHealth {
    const checks: Record<string, HealthEntry> = {
      runtime: { ok: this.#state === 'running', detail: this.#state },
    };
    for (const part of this.#started) if (part.health) checks[part.name] = part.health();
    return {
      ok: Object.values(checks).every((c) => c.ok),
      version: VERSION,
      pid: process.pid,
      uptimeSeconds: this.#startedAt === 0 ? 0 : Math.round((Date.now() - this.#startedAt) / 1000),
      checks,
    };
  }

  #services(): RuntimeServices {
    return {
      config: this.config,
      dataDir: this.dataDir,
      system: this.system,
      log: this.log,
      events: this.events,
      metrics: this.metrics,
      clock: this.#clock ?? this.system.clock,
    };
  }

  async #startApi(): Promise<void> {
    const token = ensureApiToken(this.dataDir);
    const routes: Route[] = [
      {
        method: 'GET',
        path: '/metrics',
        handle: async () => {
          for (const { id, depth } of this.system.mailboxDepths())
            this.metrics.mailboxDepth.set({ actor: id }, depth);
          return {
            body: await this.metrics.registry.metrics(),
            contentType: this.metrics.registry.contentType,
          };
        },
      },
      {
        method: 'GET',
        path: '/actors',
        handle: () => ({
          body: {
            actors: this.system.mailboxDepths(),
            deadLetters: this.system.deadLetterCount,
            pendingAsks: this.system.pendingAsks,
          },
        }),
      },
      ...this.#started.flatMap((part) => part.routes?.() ?? []),
      ...statusPageRoutes(),
    ];
    const stream: EventStream = {
      path: '/events',
      subscribe: (send) => {
        const handler = (
          type: keyof RuntimeEvents,
          payload: RuntimeEvents[keyof RuntimeEvents],
        ) => {
          send(type as RuntimeEventName, payload);
        };
        this.events.on('*', handler);
        this.#relayed?.on('*', handler);
        return () => {
          this.events.off('*', handler);
          this.#relayed?.off('*', handler);
        };
      },
    };
    this.#server = new ControlServer({
      token,
      routes,
      streams: [stream],
      maxBodyBytes: this.config.api.maxBodyBytes,
      log: this.log.child({ component: 'api' }),
    });
    this.#apiUrl = await this.#server.listen(this.config.api.host, this.config.api.port);
    writeRuntimeInfo(this.dataDir, {
      pid: process.pid,
      apiUrl: this.#apiUrl,
      startedAt: new Date(this.#startedAt).toISOString(),
      version: VERSION,
    });
  }
}
