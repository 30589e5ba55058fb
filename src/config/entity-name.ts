/**
 * The one rule for profile and component names, used by every path that creates one (control
 * API, CLI on a live runtime, CLI on the data folder). A name is also a path segment and a
 * storage key, so it is short, starts with a letter or digit, and holds no `/`, `..` prefix,
 * whitespace or control character.
 *
 * @example
 * ENTITY_NAME_PATTERN.test('alice@home'); // true
 * ENTITY_NAME_PATTERN.test('../../etc');  // false
 */
export const ENTITY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** What {@link ENTITY_NAME_PATTERN} allows, for error messages. */
export const ENTITY_NAME_RULE =
  'a letter or digit, then letters, digits, ".", "_", "@" or "-" (at most 128)';

/** Why `name` is not a valid profile or component name, or undefined when it is. */
export function entityNameProblem(name: string): string | undefined {
  return ENTITY_NAME_PATTERN.test(name)
    ? undefined
    : `${JSON.stringify(name)} is not a valid name: ${ENTITY_NAME_RULE}`;
}
