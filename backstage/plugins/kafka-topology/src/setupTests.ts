import '@testing-library/jest-dom';

// React's warnings about markup (a heading inside a heading, a list without
// keys) fail the test that causes them: they are bugs of the component.
// Warnings about libraries' deprecations (findDOMNode, defaultProps) stay
// warnings.
const FAILING = [/validateDOMNesting/, /unique "key" prop/];
// eslint-disable-next-line no-console
const consoleError = console.error;
beforeEach(() => {
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    const message = args.map(String).join(' ');
    if (FAILING.some(re => re.test(message))) {
      throw new Error(`React warning: ${message.split('\n')[0]}`);
    }
    consoleError(...args);
  });
});
afterEach(() => {
  jest.restoreAllMocks();
});
