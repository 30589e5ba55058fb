/**
 * How one generator of several shares a run: a slice of the accounts (pairs kept together for
 * paired chat) and of every rate and target.
 */
import type { LoadTestOptions } from './load-options.js';

/** This generator's share of `n` when `slice` splits the work `count` ways. */
export function sliceShare(n: number, slice: LoadTestOptions['slice']): number {
  if (slice === undefined) return n;
  return Math.floor(n / slice.count) + (slice.index < n % slice.count ? 1 : 0);
}

/** Whether account `index` belongs to the slice: pairs (2k, 2k+1) stay together for paired chat. */
export function inSlice(index: number, slice: LoadTestOptions['slice']): boolean {
  return slice === undefined || Math.floor(index / 2) % slice.count === slice.index;
}
