/**
 * Per-entity hook registry for the message workflow (Libervia's "triggers"). Plugins attach
 * handlers to named points; order is data: a higher `priority` runs first and ties run in
 * registration order (a sequence number owned by the registry, never module state).
 *
 * A handler returns `continue` (optionally with a new message), `cancel` with a reason, or
 * `skip-rest` (keep this message, run no further hook at this point). A handler that throws
 * or returns something else fails that one message with a {@link HookError}; nothing else is
 * affected. `sendMessageData` hooks (the place for encryption rewriting the payload) cannot
 * cancel.
 */
import { HookError } from './errors.js';
import type { MessageData } from './message-data.js';
import type { XmlElement } from './xml.js';

/** Hook points. `…Component` points run instead of their base point on components. */
export type HookPoint =
  | 'sendMessage'
  | 'sendMessageComponent'
  | 'sendMessageData'
  | 'send'
  | 'messageReceived'
  | 'messageReceivedComponent'
  | 'message_parse';

/** Every hook point, in workflow order. */
export const HOOK_POINTS: readonly HookPoint[] = [
  'sendMessage',
  'sendMessageComponent',
  'sendMessageData',
  'send',
  'messageReceived',
  'messageReceivedComponent',
  'message_parse',
];

/** Points whose hooks may not cancel. */
export const UNCANCELLABLE_POINTS: ReadonlySet<HookPoint> = new Set(['sendMessageData']);

/** What a hook at point `P` sees: the raw stanza before parsing, message data after. */
export type HookPayload<P extends HookPoint> = P extends
  | 'messageReceived'
  | 'messageReceivedComponent'
  ? XmlElement
  : MessageData;

/** What a hook returns. */
export type HookResult<T> =
  | { readonly action: 'continue'; readonly message?: T }
  | { readonly action: 'cancel'; readonly reason: string }
  | { readonly action: 'skip-rest'; readonly message?: T };

/** Context given to every hook. */
export interface HookContext {
  /** The entity's own JID. */
  readonly ownJid: string;
  readonly entityKind: 'client' | 'component';
  /** The received stanza (receive path, after namespace normalisation). */
  readonly stanza?: XmlElement;
}

/** A hook handler for point `P`. */
export type HookHandler<P extends HookPoint> = (
  message: HookPayload<P>,
  ctx: HookContext & { readonly point: P },
) => HookResult<HookPayload<P>> | Promise<HookResult<HookPayload<P>>>;

/** A registration. */
export interface HookSpec<P extends HookPoint> {
  /** Plugin that owns the hook; named in errors and filtered by `allowPlugin`. */
  readonly plugin: string;
  /** Higher runs first; default 0. */
  readonly priority?: number;
  readonly handler: HookHandler<P>;
}

/** The order of hooks at a point, as data. */
export interface HookEntry {
  readonly plugin: string;
  readonly priority: number;
  /** Registration sequence number: the tie-break between equal priorities. */
  readonly seq: number;
}

/** Outcome of running the hooks of one point. */
export type HookRunResult<T> =
  | { readonly outcome: 'continue'; readonly message: T }
  | { readonly outcome: 'cancelled'; readonly reason: string; readonly plugin: string };

interface StoredHook extends HookEntry {
  // biome-ignore lint/suspicious/noExplicitAny: handlers of every point share one list type.
  readonly handler: HookHandler<any>;
}

/**
 * The hooks of one entity.
 *
 * @example
 * const hooks = new HookRegistry({ allowPlugin: (p) => deps.has(p) });
 * const off = hooks.register('sendMessage', {
 *   plugin: 'xep-0085', priority: 10,
 *   handler: (m) => ({ action: 'continue', message: withExtra(m, 'chatState', 'active') }),
 * });
 * off(); // unregister
 */
export class HookRegistry {
  #seq = 0;
  readonly #byPoint = new Map<HookPoint, readonly StoredHook[]>();
  readonly #allowPlugin: (plugin: string) => boolean;

  /**
   * @param options.allowPlugin which plugins run for this entity (a component runs only the
   *   plugins in its entry point's dependency tree); all by default.
   */
  constructor(options: { allowPlugin?: (plugin: string) => boolean } = {}) {
    this.#allowPlugin = options.allowPlugin ?? (() => true);
  }

  /** Adds a hook; returns the function that removes it (calling it twice is harmless). */
  register<P extends HookPoint>(point: P, spec: HookSpec<P>): () => void {
    const priority = spec.priority ?? 0;
    if (!Number.isFinite(priority)) throw new TypeError('hook priority must be a finite number');
    const hook: StoredHook = {
      plugin: spec.plugin,
      priority,
      seq: this.#seq++,
      handler: spec.handler,
    };
    // Lists are copied on write, never changed in place: `run` iterates the list it found
    // without copying it, and a (un)registration during a run affects the next message only.
    const list = [...(this.#byPoint.get(point) ?? [])];
    // Keep the list sorted: after every hook of higher or equal priority (older ones first).
    let at = list.findIndex((h) => h.priority < priority);
    if (at < 0) at = list.length;
    list.splice(at, 0, hook);
    this.#byPoint.set(point, list);
    return () => {
      const current = this.#byPoint.get(point);
      if (current?.includes(hook))
        this.#byPoint.set(
          point,
          current.filter((h) => h !== hook),
        );
    };
  }

  /** The hooks that would run at `point` for this entity, in order. */
  entries(point: HookPoint): HookEntry[] {
    return (this.#byPoint.get(point) ?? [])
      .filter((h) => this.#allowPlugin(h.plugin))
      .map(({ plugin, priority, seq }) => ({ plugin, priority, seq }));
  }

  /**
   * Runs the hooks of `point` in order over `message`.
   *
   * @throws HookError `workflow.hook-failed` when a hook throws or returns a non-result,
   *   `workflow.hook-cannot-cancel` when a `sendMessageData` hook cancels.
   */
  async run<P extends HookPoint>(
    point: P,
    message: HookPayload<P>,
    ctx: HookContext,
  ): Promise<HookRunResult<HookPayload<P>>> {
    // A snapshot already (lists are copied on write): a hook that (un)registers hooks affects
    // the next message, not this one.
    const hooks = this.#byPoint.get(point);
    if (hooks === undefined || hooks.length === 0) return { outcome: 'continue', message };
    const hookCtx = { ...ctx, point };
    let current = message;
    for (const hook of hooks) {
      if (!this.#allowPlugin(hook.plugin)) continue;
      let result: unknown;
      try {
        result = hook.handler(current, hookCtx);
        if (isThenable(result)) result = await result;
      } catch (cause) {
        throw new HookError('workflow.hook-failed', hook.plugin, point, { cause });
      }
      const checked = checkResult(result, hook.plugin, point);
      if (checked.action === 'cancel') {
        if (UNCANCELLABLE_POINTS.has(point)) {
          throw new HookError('workflow.hook-cannot-cancel', hook.plugin, point, {
            reason: checked.reason,
          });
        }
        return { outcome: 'cancelled', reason: checked.reason, plugin: hook.plugin };
      }
      if (checked.message !== undefined) current = checked.message as HookPayload<P>;
      if (checked.action === 'skip-rest') break;
    }
    return { outcome: 'continue', message: current };
  }
}

/**
 * Runs the hooks of one point: the function form of {@link HookRegistry.run}.
 *
 * @example
 * const r = await runHooks(hooks, 'sendMessage', message, { ownJid, entityKind: 'client' });
 * if (r.outcome === 'cancelled') log(r.plugin, r.reason);
 */
export function runHooks<P extends HookPoint>(
  hooks: HookRegistry,
  point: P,
  message: HookPayload<P>,
  ctx: HookContext,
): Promise<HookRunResult<HookPayload<P>>> {
  return hooks.run(point, message, ctx);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function checkResult(result: unknown, plugin: string, point: HookPoint): HookResult<unknown> {
  if (result !== null && typeof result === 'object') {
    const r = result as { action?: unknown; reason?: unknown; message?: unknown };
    if (r.action === 'continue' || r.action === 'skip-rest') {
      if (r.message === undefined || (r.message !== null && typeof r.message === 'object')) {
        return r as HookResult<unknown>;
      }
    } else if (r.action === 'cancel' && typeof r.reason === 'string') {
      return r as HookResult<unknown>;
    }
  }
  throw new HookError('workflow.hook-failed', plugin, point, {
    reason: 'handler did not return a hook result',
  });
}
