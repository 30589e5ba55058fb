/**
 * Shared helpers for the workflow's unit tests (not part of the public surface).
 */
import type { MessageData } from './message-data.js';

/** A minimal valid message; override what a test cares about. */
export function sampleMessage(overrides: Partial<MessageData> = {}): MessageData {
  return {
    uid: 'uid-1',
    from: 'juliet@capulet.lit/balcony',
    to: 'romeo@montague.lit/orchard',
    type: 'chat',
    message: { '': 'Art thou not Romeo?' },
    subject: {},
    timestamp: 1_000,
    extra: {},
    ...overrides,
  };
}

/** A uid source counting up from 1 (`uid-1`, `uid-2`, …), owned by the caller. */
export function counterUids(prefix = 'uid'): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
