import '@testing-library/jest-dom';
import { installReactWarningGuard } from './__testUtils__/reactWarnings';

// React's markup and key warnings fail the test that causes them
// (setupTests.test.tsx shows it).
installReactWarningGuard();
