import type { Logger } from '../log.js';

/**
 * A child logger made on first use. Every entity hands its plugins a logger with the plugin's
 * name bound; a pino child is a few hundred bytes (its own level methods, bindings string and
 * shape), and most idle entities never log, so each child is only made when something reads
 * from it. The proxy's target holds the parent and the bindings; the handler is shared.
 *
 * Invariants: everything read from the proxy (methods, level, bindings) is read from the one
 * child, made once with `parent.child(bindings)` (a lazy parent is made first); methods run with
 * the proxy as `this`, whose reads and writes go to that child, so the records written are those
 * of the child itself. `child` is called on the real child (pino's `child` builds on `this`).
 * A record below the level makes no child: it is dropped, as the child would drop it (a child
 * takes its parent's level when made; the runtime never changes a level afterwards).
 *
 * @example
 * const log = lazyChild(entityLog, { plugin: 'mam' }); // no child yet
 * log.warn({ err }, 'archive not read'); // the child is made here, then used
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  const target: LazyTarget = { parent, bindings, child: undefined };
  return new Proxy(target, LAZY_HANDLER) as unknown as Logger;
}

interface LazyTarget {
  readonly parent: Logger;
  readonly bindings: Record<string, unknown>;
  child: Logger | undefined;
}

/** Read through a lazy logger: the real child behind it. */
const REAL = Symbol('lazy-logger.real');
/** Read through a lazy logger: its target, without making the child. */
const TARGET = Symbol('lazy-logger.target');

const LEVEL_METHODS = new Set<string | symbol>([
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
]);
const NOTHING = () => undefined;

/**
 * Whether `level` is enabled for the child of `target` (made or not): a child takes its parent's
 * level when it is made, and nothing here changes levels afterwards.
 */
function enabled(target: LazyTarget, level: string): boolean {
  if (target.child !== undefined) return target.child.isLevelEnabled(level);
  const parent = (target.parent as Logger & { [TARGET]?: LazyTarget })[TARGET];
  return parent !== undefined ? enabled(parent, level) : target.parent.isLevelEnabled(level);
}

function childOf(target: LazyTarget): Logger {
  if (target.child === undefined) {
    const parent = (target.parent as Logger & { [REAL]?: Logger })[REAL] ?? target.parent;
    target.child = parent.child(target.bindings);
  }
  return target.child;
}

const LAZY_HANDLER: ProxyHandler<LazyTarget> = {
  get: (target, key) => {
    if (key === TARGET) return target;
    // A record below the level is dropped without making the child.
    if (target.child === undefined && LEVEL_METHODS.has(key) && !enabled(target, key as string))
      return NOTHING;
    const real = childOf(target);
    if (key === REAL) return real;
    if (key === 'child') return real.child.bind(real);
    return Reflect.get(real, key);
  },
  set: (target, key, value) => Reflect.set(childOf(target), key, value),
  has: (target, key) => Reflect.has(childOf(target), key),
  getPrototypeOf: (target) => Reflect.getPrototypeOf(childOf(target)),
};
