import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { checkJsonDepth } from './json-limits.js';

function depthError(text: string, max: number): unknown {
  try {
    checkJsonDepth(text, max);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('checkJsonDepth', () => {
  it('accepts values up to the limit and refuses one level more', () => {
    expect(depthError('{"a":[1,{"b":[]}]}', 4)).toBeUndefined();
    expect(isAviaryError(depthError('{"a":[1,{"b":[[]]}]}', 4), 'api.too-deep')).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(depthError(JSON.stringify({ a: '[[[[[[{{{{', b: 'x\\"[[[[[' }), 1)).toBeUndefined();
  });

  it('refuses a 6,000-deep value without overflowing the stack', () => {
    const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
    expect(isAviaryError(depthError(deep, 64), 'api.too-deep')).toBe(true);
  });
});
