import { createElement } from 'react';
import { render } from '@testing-library/react';
import { checkReactWarnings } from '@central-config/backstage-plugin-central-config-common/testUtils';

// The guard of setupTests.ts (the same in kafka-topology): each test here causes a warning on purpose and
// calls the check the guard runs after every test, which must throw (and
// then has nothing left to fail this test with).

function KeylessList() {
  // createElement: the same elements as <li>{x}</li>, which the linter
  // refuses without a key.
  return <ul>{['a', 'b'].map(x => createElement('li', null, x))}</ul>;
}

function NestedParagraphs() {
  return (
    <p>
      <p>inside</p>
    </p>
  );
}

describe('the React warning guard', () => {
  it('fails a test that renders a list without keys', () => {
    render(<KeylessList />);
    expect(() => checkReactWarnings()).toThrow(
      /React warnings .*Each child in a list should have a unique "key" prop/,
    );
  });

  it('fails a test that nests markup wrongly', () => {
    render(<NestedParagraphs />);
    expect(() => checkReactWarnings()).toThrow(/validateDOMNesting/);
  });

  it('leaves a test without such warnings alone', () => {
    render(
      <ul>
        {['a', 'b'].map(x => (
          <li key={x}>{x}</li>
        ))}
      </ul>,
    );
    expect(() => checkReactWarnings()).not.toThrow();
  });
});
