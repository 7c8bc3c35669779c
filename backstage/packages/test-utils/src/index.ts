/**
 * Jest helpers of the central-config frontend plugins' tests: a private
 * workspace package, not published (it uses jest's globals).
 *
 * @packageDocumentation
 */

export { errorOfAnswer, expectEngineAnswered } from './engineAnswer';
export { gate } from './gate';
export { checkReactWarnings, installReactWarningGuard } from './reactWarnings';
export { ASYNC_UTIL_TIMEOUT_MS, setUpPageTests } from './setUp';
