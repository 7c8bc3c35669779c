// Times in the user's locale and time zone (the browser's), relative with
// the absolute time beside or in a tooltip.

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** "3 minutes ago", "in 40 seconds", in the user's language. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === 'second') {
      return rtf.format(Math.round(diff / ms), unit);
    }
  }
  return rtf.format(0, 'second');
}

/** The date and time in the user's locale and time zone. */
export function absoluteTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
}

/** "850 ms", "12.4 s", "3 min 5 s". */
export function duration(seconds: number | null): string {
  if (seconds === null) return '';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

/** A schedule interval: "every 10 s", "every 5 min", "every 1 h 30 min". */
export function interval(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `every ${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const parts = [];
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (rest) parts.push(`${rest} s`);
  return `every ${parts.join(' ')}`;
}

/** A git SHA as its first 8 characters; other revisions as they are. */
export function shortRevision(revision: string): string {
  return /^[0-9a-f]{40}$/i.test(revision) ? revision.slice(0, 8) : revision;
}

/** "3 intervals" of the source's schedule since the last success, or more. */
export function isStale(
  lastSuccessAt: string | null,
  intervalSeconds: number,
  intervals: number,
  now: number = Date.now(),
): boolean {
  if (!lastSuccessAt || intervalSeconds <= 0) return false;
  return (
    now - new Date(lastSuccessAt).getTime() > intervals * intervalSeconds * 1000
  );
}

/**
 * What a source publishes: "90 entities · 2 locations"; Locations only
 * when there are some ("1 entity"). locations may be missing from an
 * older engine.
 */
export function publishedCounts(
  entities: number,
  locations: number | undefined,
): string {
  const plural = (n: number, one: string, many: string) =>
    `${n} ${n === 1 ? one : many}`;
  const parts = [plural(entities, 'entity', 'entities')];
  if (locations) parts.push(plural(locations, 'location', 'locations'));
  return parts.join(' · ');
}
