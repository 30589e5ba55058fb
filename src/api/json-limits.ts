import { ApiError } from './api-error.js';

/**
 * Deepest nesting of arrays and objects a request body may have. Real requests nest a few levels
 * (a search filter value, a message's `extra`); 64 leaves room for plugins' data while keeping
 * every recursive walk (validation, structured clone to the storage thread) far from the stack
 * limit, which a value a few thousand levels deep reaches.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses JSON text nesting deeper than `maxDepth`, without parsing it (one pass, no recursion,
 * so the check itself cannot overflow). Brackets inside strings do not count.
 *
 * @example
 * checkJsonDepth('{"a":[1,[2]]}', 64); // fine (depth 3)
 * checkJsonDepth('['.repeat(6000), 64); // throws api.too-deep
 */
export function checkJsonDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > maxDepth) {
        throw new ApiError(
          'api.too-deep',
          `the request body nests deeper than ${maxDepth} levels (arrays and objects)`,
          { maxDepth },
        );
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}
