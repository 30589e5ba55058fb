import { describe, expect, it } from 'vitest';
import { AviaryError } from '../errors.js';
import { errorBody, statusForError } from './api-error.js';

function cloneFailure(): unknown {
  try {
    structuredClone({ f: () => undefined });
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('API error answers', () => {
  it('keep an AviaryError code and take the status from the catalogue', () => {
    const error = new AviaryError('storage.bad-argument', 'bad operator', { details: { op: 'x' } });
    expect(statusForError(error)).toBe(400);
    expect(errorBody(error)).toEqual({
      error: { code: 'storage.bad-argument', message: 'bad operator', details: { op: 'x' } },
    });
  });

  it('turn a structured-clone failure into a typed 400, and anything else into internal 500', () => {
    const clone = cloneFailure();
    expect((clone as Error).name).toBe('DataCloneError');
    expect(statusForError(clone)).toBe(400);
    expect(errorBody(clone).error.code).toBe('api.not-cloneable');
    expect(statusForError(new TypeError('x'))).toBe(500);
    expect(errorBody(new TypeError('x')).error.code).toBe('internal');
  });
});
