/**
 * Test utilities of the central-config frontend plugins (jest).
 *
 * @packageDocumentation
 */

export { checkReactWarnings, installReactWarningGuard } from './reactWarnings';
