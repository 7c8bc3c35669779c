import { SOURCE_ID_MAX_LENGTH, SOURCE_ID_PATTERN } from './generated/openapi';

export { SOURCE_ID_MAX_LENGTH, SOURCE_ID_PATTERN };

/**
 * True when `value` is a source id the engine could have configured: the
 * SourceId schema of internal/httpapi/openapi.yaml (lower-case letters,
 * digits and "-", starting and ending with a letter or digit, at most 63
 * characters). sourceId.test.ts checks that the engine's configuration code
 * says the same.
 *
 * @public
 */
export function isSourceId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= SOURCE_ID_MAX_LENGTH &&
    SOURCE_ID_PATTERN.test(value)
  );
}
