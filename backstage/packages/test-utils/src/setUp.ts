import { configure } from '@testing-library/react';
import { installReactWarningGuard } from './reactWarnings';

/**
 * How long findBy* and waitFor wait for the page: 10 s, not testing-library's
 * 1 s, so that a page that does appear is found on a loaded machine (the
 * suites share two cores with builds; one took 76 s and a 1 s findByText
 * failed). A page that never shows the text still fails, 10 s later, with
 * testing-library's message naming what it looked for.
 */
export const ASYNC_UTIL_TIMEOUT_MS = 10_000;

/**
 * The setup of a frontend plugin's tests (from its setupTests.ts): the
 * waits above, a jest test timeout above them (so a failing wait reports
 * what it looked for, not "Exceeded timeout"), and the React warning guard.
 */
export function setUpPageTests(): void {
  configure({ asyncUtilTimeout: ASYNC_UTIL_TIMEOUT_MS });
  jest.setTimeout(3 * ASYNC_UTIL_TIMEOUT_MS);
  installReactWarningGuard();
}
