/**
 * A source id as the engine accepts it (internal/config/config.go in the
 * repository root: `sourceID` and its length check): lower-case letters,
 * digits and "-", starting and ending with a letter or digit, at most 63
 * characters. sourceId.test.ts checks that both still say the same.
 */
export const SOURCE_ID_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The longest source id the engine accepts. */
export const SOURCE_ID_MAX_LENGTH = 63;

/** True when `value` is a source id the engine could have configured. */
export function isSourceId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= SOURCE_ID_MAX_LENGTH &&
    SOURCE_ID_PATTERN.test(value)
  );
}
