/**
 * Random bytes for the many small values a login draws (the SCRAM client nonce, RFC 5802 §5.1;
 * the IQ id prefix), taken from one process-wide pool that is refilled from the CSPRNG when it
 * runs out, as `crypto.randomUUID` does. One `randomBytes(n)` call per value costs a native job
 * each (a measurable part of a login's CPU); the pool costs one per 4 KiB.
 *
 * Invariant: no byte of the pool is handed out twice.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/** `size` fresh random bytes (a copy: the caller may keep it). */
export function pooledRandomBytes(size: number): Buffer {
  if (size > POOL_BYTES) return randomFillSync(Buffer.allocUnsafe(size));
  if (offset + size > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return bytes;
}
