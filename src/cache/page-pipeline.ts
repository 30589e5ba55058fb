/**
 * The processing half of a node synchronisation: each page is prepared (parsed) as soon as it
 * is handed over, so preparing page k+1 overlaps writing page k, and pages are written strictly
 * in the order they were handed over. At most `depth` pages wait between being handed over and
 * being written; `add` waits for the oldest when the pipeline is full, so a slow storage slows
 * the fetching down instead of piling pages up in memory.
 *
 * Invariants: a write starts only after every earlier write finished; after a failure no later
 * write starts (they reject with the same error), `add` and `drain` throw it, and `settle`
 * resolves once nothing is running, so a caller cleaning up after a failure is never followed
 * by a late write.
 */
export interface PagePipeline {
  /** Hands over a page: `prepared` is already running; `write` runs after the previous write. */
  add<T>(prepared: Promise<T>, write: (value: T) => Promise<void>): Promise<void>;
  /** Waits for every page handed over to be written; throws the first failure. */
  drain(): Promise<void>;
  /** Waits until nothing runs any more, whatever the outcome. Never throws. */
  settle(): Promise<void>;
}

export function createPagePipeline(depth: number): PagePipeline {
  const pending: Promise<void>[] = [];
  let written: Promise<void> = Promise.resolve();
  let failed = false;
  const drain = async () => {
    while (pending.length > 0) await pending.shift();
  };
  return {
    async add(prepared, write) {
      if (failed) await drain(); // throws the failure: hand over nothing more
      prepared.catch(() => undefined); // awaited in order below
      const step = written.then(async () => write(await prepared));
      step.catch(() => {
        failed = true; // the failure itself is thrown where the step is awaited
      });
      written = step;
      pending.push(step);
      while (pending.length >= depth) await pending.shift();
    },
    drain,
    async settle() {
      await Promise.allSettled([...pending, written]);
    },
  };
}
