import Tooltip from '@material-ui/core/Tooltip';
import { absoluteTime, relativeTime } from './format';

/** A time as "3 minutes ago (27 Nov 2026, 01:02:05)" in the user's locale. */
export const Time = ({
  iso,
  compact,
  none = 'never',
}: {
  iso: string | null;
  /** Relative only, the absolute time in a tooltip. */
  compact?: boolean;
  none?: string;
}) => {
  if (!iso) return <>{none}</>;
  if (compact) {
    return (
      <Tooltip title={absoluteTime(iso)}>
        <time dateTime={iso}>{relativeTime(iso)}</time>
      </Tooltip>
    );
  }
  return (
    <time dateTime={iso}>
      {relativeTime(iso)} ({absoluteTime(iso)})
    </time>
  );
};
