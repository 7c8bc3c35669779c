import '@testing-library/jest-dom';
import { setUpPageTests } from '@internal/central-config-test-utils';

// findBy/waitFor wait up to 10 s (a loaded machine), and React's markup and
// key warnings fail the test that causes them (setupTests.test.tsx shows it).
setUpPageTests();
