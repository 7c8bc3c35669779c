import { count } from './count';

describe('count', () => {
  it('uses the singular for one only', () => {
    expect(count(0, 'cluster')).toBe('0 clusters');
    expect(count(1, 'cluster')).toBe('1 cluster');
    expect(count(2, 'topic')).toBe('2 topics');
    expect(count(1, 'entity', 'entities')).toBe('1 entity');
    expect(count(3, 'entity', 'entities')).toBe('3 entities');
  });
});
