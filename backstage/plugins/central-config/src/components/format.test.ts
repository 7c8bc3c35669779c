import {
  duration,
  interval,
  isStale,
  publishedCounts,
  relativeTime,
  shortRevision,
} from './format';

describe('format', () => {
  it('writes schedule intervals the way people say them', () => {
    expect(interval(10)).toBe('every 10 s');
    expect(interval(300)).toBe('every 5 min');
    expect(interval(3600)).toBe('every 1 h');
    expect(interval(5430)).toBe('every 1 h 30 min 30 s');
  });

  it('writes run durations', () => {
    expect(duration(0.085)).toBe('85 ms');
    expect(duration(12.44)).toBe('12.4 s');
    expect(duration(185)).toBe('3 min 5 s');
    expect(duration(null)).toBe('');
  });

  it('shortens git SHAs only', () => {
    expect(shortRevision('08d188c09a32fdc734d02f8706a7741a0eedd882')).toBe(
      '08d188c0',
    );
    expect(shortRevision('sha256:abc')).toBe('sha256:abc');
  });

  it('says relative times in both directions', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    expect(relativeTime('2026-11-27T11:57:00Z', now)).toBe('3 minutes ago');
    expect(relativeTime('2026-11-27T12:00:40Z', now)).toBe('in 40 seconds');
  });

  it('calls a source stale past the given number of intervals since its last success', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    expect(isStale('2026-11-27T11:44:00Z', 300, 3, now)).toBe(true);
    expect(isStale('2026-11-27T11:46:00Z', 300, 3, now)).toBe(false);
    expect(isStale(null, 300, 3, now)).toBe(false);
  });

  it('counts published Locations apart from entities, and only when there are some', () => {
    expect(publishedCounts(90, 2)).toBe('90 entities · 2 locations');
    expect(publishedCounts(1, 1)).toBe('1 entity · 1 location');
    expect(publishedCounts(0, 3)).toBe('0 entities · 3 locations');
    expect(publishedCounts(90, 0)).toBe('90 entities');
    expect(publishedCounts(90, undefined)).toBe('90 entities');
  });
});
