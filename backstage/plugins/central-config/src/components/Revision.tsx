import { Link } from '@backstage/core-components';
import { shortRevision } from './format';

/** A revision as a short SHA, linked to the commit when the repo has a web view. */
export const Revision = ({
  revision,
  url,
}: {
  revision: string | null;
  url: string | null;
}) => {
  if (!revision) return <>none</>;
  const text = <code title={revision}>{shortRevision(revision)}</code>;
  return url ? <Link to={url}>{text}</Link> : text;
};
