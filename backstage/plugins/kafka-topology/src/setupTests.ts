import '@testing-library/jest-dom';
import { installReactWarningGuard } from '@central-config/backstage-plugin-central-config-common/testUtils';

// React's markup and key warnings fail the test that causes them
// (setupTests.test.tsx shows it).
installReactWarningGuard();
