import { readFileSync } from 'fs';
import { resolve } from 'path';
import {
  isSourceId,
  SOURCE_ID_MAX_LENGTH,
  SOURCE_ID_PATTERN,
} from './sourceId';

// The engine's configuration code, where source ids are checked.
const ENGINE_CONFIG = resolve(
  __dirname,
  '../../../../internal/config/config.go',
);

// The router's pattern before it was made the engine's: it let through ids
// that end in "-", which no engine configuration can hold.
const FORMER_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

describe('isSourceId', () => {
  it.each([
    'a',
    '0',
    'example',
    'team-a',
    'a--b',
    '2024-q1',
    'a'.repeat(SOURCE_ID_MAX_LENGTH),
    `a${'-'.repeat(SOURCE_ID_MAX_LENGTH - 2)}b`,
  ])('accepts %j, as the engine does', id => {
    expect(isSourceId(id)).toBe(true);
  });

  it.each(['a-', 'team-', 'a--', `${'a'.repeat(SOURCE_ID_MAX_LENGTH - 1)}-`])(
    'refuses %j, which the engine refuses and the former pattern let through',
    id => {
      expect(FORMER_PATTERN.test(id)).toBe(true);
      expect(isSourceId(id)).toBe(false);
    },
  );

  it.each([
    '',
    '-',
    '-a',
    'A',
    'Team-a',
    'a_b',
    'a.b',
    'a b',
    'a/b',
    '../entities',
    'é',
    'a\n',
    '\na',
    'a'.repeat(SOURCE_ID_MAX_LENGTH + 1),
  ])('refuses %j', id => {
    expect(isSourceId(id)).toBe(false);
  });

  it.each([undefined, null, 7, ['a'], { id: 'a' }])('refuses %p', value => {
    expect(isSourceId(value)).toBe(false);
  });
});

describe("the engine's source id rule (internal/config/config.go)", () => {
  const go = readFileSync(ENGINE_CONFIG, 'utf8');

  it('has the same pattern', () => {
    const match = go.match(/sourceID = regexp\.MustCompile\(`([^`]+)`\)/);
    expect(match).not.toBeNull();
    expect(SOURCE_ID_PATTERN.source).toBe(match![1]);
    expect(SOURCE_ID_PATTERN.flags).toBe('');
  });

  it('has the same length limit', () => {
    const match = go.match(
      /!sourceID\.MatchString\(s\.ID\) \|\| len\(s\.ID\) > (\d+)/,
    );
    expect(match).not.toBeNull();
    expect(SOURCE_ID_MAX_LENGTH).toBe(Number(match![1]));
  });
});
