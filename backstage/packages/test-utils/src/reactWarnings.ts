// React's warnings about markup (a heading inside a heading, a list without
// keys) and about a state update outside act (an answer the test did not
// wait for: it would land after the test, or after the page was closed)
// fail the test that causes them: they are bugs of the component or test.
// Warnings about libraries' deprecations (findDOMNode, defaultProps) stay
// warnings.
//
// The guard records them and fails the test after it ran, rather than
// throwing from console.error: a throw inside a render is caught by React
// (which retries the render once, without the warning, since React warns
// once per component) or by an error boundary, and the test would pass.
const FAILING = [
  /validateDOMNesting/,
  /unique "key" prop/,
  /not wrapped in act\(/,
];

let caught: string[] = [];

/**
 * Throws, naming them, when the running test caused React markup or key
 * warnings so far, and forgets them. The guard calls it after each test.
 */
export function checkReactWarnings(): void {
  const warnings = caught;
  caught = [];
  if (warnings.length > 0) {
    throw new Error(
      `React warnings (bugs of the component, see the console.error above): ${warnings.join(
        '; ',
      )}`,
    );
  }
}

/** Installs the guard (from setupTests.ts) for every test of the package. */
export function installReactWarningGuard(): void {
  // eslint-disable-next-line no-console
  const consoleError = console.error;
  beforeEach(() => {
    caught = [];
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      const message = args.map(String).join(' ');
      if (FAILING.some(re => re.test(message))) {
        caught.push(message.split('\n')[0]);
      }
      consoleError(...args);
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    checkReactWarnings();
  });
}
