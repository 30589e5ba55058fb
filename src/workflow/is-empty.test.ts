import { describe, expect, it } from 'vitest';
import { isEmptyMessage } from './is-empty.js';
import { sampleMessage } from './test-fixtures.js';

describe('isEmptyMessage', () => {
  const bare = sampleMessage({ message: {}, subject: {}, extra: {} });

  it('is empty without body, subject or attachment', () => {
    expect(isEmptyMessage(bare)).toBe(true);
    expect(isEmptyMessage({ ...bare, message: { '': '' }, subject: { en: '' } })).toBe(true);
    expect(isEmptyMessage({ ...bare, extra: { attachments: [], chatState: 'composing' } })).toBe(
      true,
    );
  });

  it('is not empty with any of body, subject, attachment, or when an info message', () => {
    expect(isEmptyMessage({ ...bare, message: { fr: 'x' } })).toBe(false);
    expect(isEmptyMessage({ ...bare, subject: { '': 'topic' } })).toBe(false);
    expect(isEmptyMessage({ ...bare, extra: { attachments: [{ url: 'https://x.lit/a' }] } })).toBe(
      false,
    );
    expect(isEmptyMessage({ ...bare, type: 'info' })).toBe(false);
  });
});
