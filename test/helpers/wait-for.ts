/**
 * The one way tests wait for a state: poll a condition, bounded by a timeout, and on timeout fail
 * with a message naming what was awaited (the `what` option, or else the condition's source text)
 * and, with `detail`, the state it was stuck in. Never sleep a fixed time to let something happen:
 * wait for the state that proves it happened.
 *
 * @example
 * await waitFor(() => inbox('bob').length === 2, { what: 'two messages for bob' });
 * const item = await waitForValue(() => events.find((e) => e.node === node), 'the publish event');
 */

export interface WaitOptions {
  /** Give up after this long (default 10 s). The bound is generous; passing tests never reach it. */
  readonly timeoutMs?: number;
  /** What is awaited, for the failure message (default: the condition's source text). */
  readonly what?: string;
  /** The state at the timeout, appended to the failure message. */
  readonly detail?: () => string;
  /** Polling interval (default 10 ms). */
  readonly intervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

function describeCondition(condition: () => unknown): string {
  return condition.toString().replace(/\s+/g, ' ').slice(0, 200);
}

/** A number is the timeout in ms, a string is `what`. */
function normalize(options: number | string | WaitOptions): WaitOptions {
  if (typeof options === 'number') return { timeoutMs: options };
  if (typeof options === 'string') return { what: options };
  return options;
}

/**
 * Resolves with the first value `find` returns other than `undefined`; throws
 * `timed out after N ms waiting for WHAT` after the timeout.
 */
export async function waitForValue<T>(
  find: () => T | undefined | Promise<T | undefined>,
  options: number | string | WaitOptions = {},
): Promise<T> {
  const opts = normalize(options);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await find();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const what = opts.what ?? describeCondition(find);
      const detail = opts.detail === undefined ? '' : ` (${opts.detail()})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 10));
  }
}

/** Resolves once `predicate` holds; throws `timed out after N ms waiting for WHAT` otherwise. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  options: number | string | WaitOptions = {},
): Promise<void> {
  const opts = normalize(options);
  await waitForValue(async () => ((await predicate()) ? true : undefined), {
    ...opts,
    what: opts.what ?? describeCondition(predicate),
  });
}
