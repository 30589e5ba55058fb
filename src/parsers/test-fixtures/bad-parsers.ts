/**
 * Deliberately bad parsers for the pool tests (compiled to dist so workers can load them).
 * Each one misbehaves only on an item whose text is its trigger word and echoes the rest.
 */

/** Throws on the item `"throw"`. */
export function throwOnItem(xml: string): unknown {
  if (xml === 'throw') throw new Error('this item is bad');
  return { echo: xml };
}

/** Kills its worker thread on the item `"exit"`. */
export function exitOnItem(xml: string): unknown {
  if (xml === 'exit') process.exit(3);
  return { echo: xml };
}

/** Spins forever on the item `"hang"`. */
export function hangOnItem(xml: string): unknown {
  if (xml === 'hang') for (;;) {}
  return { echo: xml };
}

/** Rejects asynchronously on the item `"reject"`. */
export async function rejectOnItem(xml: string): Promise<unknown> {
  if (xml === 'reject') throw new Error('async failure');
  return { echo: xml };
}

/** Returns values JSON cannot write: a BigInt for `"bigint"`, nothing for `"undefined"`. */
export function returnsOddValues(xml: string): unknown {
  if (xml === 'bigint') return { n: 1n };
  if (xml === 'undefined') return undefined;
  return xml;
}

/** Not a function: loading it as a parser must fail cleanly. */
export const notAFunction = 42;
