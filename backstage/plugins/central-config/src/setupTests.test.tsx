import { createElement, useEffect, useState } from 'react';
import { getConfig, render, screen } from '@testing-library/react';
import {
  ASYNC_UTIL_TIMEOUT_MS,
  checkReactWarnings,
} from '@internal/central-config-test-utils';

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

function LateUpdate() {
  const [text, setText] = useState('before');
  useEffect(() => {
    const timer = setTimeout(() => setText('after'), 0);
    return () => clearTimeout(timer);
  }, []);
  return <p>{text}</p>;
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

  it('fails a test whose component updates outside act', async () => {
    render(<LateUpdate />);
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(() => checkReactWarnings()).toThrow(/not wrapped in act/);
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

describe('the waits of setupTests.ts', () => {
  it('give a page 10 s to show what a test looks for', () => {
    expect(getConfig().asyncUtilTimeout).toBe(ASYNC_UTIL_TIMEOUT_MS);
    expect(ASYNC_UTIL_TIMEOUT_MS).toBe(10_000);
  });

  it('still fail, naming what they looked for, when the page never shows it', async () => {
    render(<p>something else</p>);
    await expect(screen.findByText('a text no page shows')).rejects.toThrow(
      /Unable to find an element with the text: a text no page shows/,
    );
  });
});
