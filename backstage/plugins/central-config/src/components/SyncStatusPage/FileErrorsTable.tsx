import { Link, Table, TableColumn } from '@backstage/core-components';
import { FileError } from '@central-config/backstage-plugin-central-config-common';

const columns: TableColumn<FileError & { id: string }>[] = [
  {
    title: 'File',
    field: 'file',
    render: e => (e.url ? <Link to={e.url}>{e.file}</Link> : e.file),
  },
  { title: 'Line', field: 'line', type: 'numeric', width: '80px' },
  { title: 'Column', field: 'column', type: 'numeric', width: '80px' },
  { title: 'Severity', field: 'severity', width: '100px' },
  { title: 'Code', field: 'code', width: '160px' },
  { title: 'Message', field: 'message' },
];

const ProblemsTable = ({
  title,
  subtitle,
  problems,
}: {
  title: string;
  subtitle: string;
  problems: FileError[];
}) => {
  if (problems.length === 0) {
    return null;
  }
  const rows = problems.map((e, i) => ({ ...e, id: `${e.file}:${i}` }));
  return (
    <Table
      title={`${title} (${problems.length})`}
      subtitle={subtitle}
      options={{
        paging: problems.length > 10,
        search: false,
        padding: 'dense',
      }}
      columns={columns}
      data={rows}
    />
  );
};

/**
 * The source's current file problems: errors, whose files keep the
 * entities of their last good revision until they are fixed, apart from
 * warnings, whose files are synced, and from notes (severity info: what
 * the engine left to Backstage, such as placeholders of URLs), which need
 * nothing done.
 */
export const FileErrorsTable = ({ errors }: { errors: FileError[] }) => (
  <>
    <ProblemsTable
      title="File errors"
      subtitle="These files keep the entities of their last good revision until they are fixed."
      problems={errors.filter(e => e.severity === 'error')}
    />
    <ProblemsTable
      title="Warnings"
      subtitle="These files are synced; a warning holds nothing back."
      problems={errors.filter(e => e.severity === 'warning')}
    />
    <ProblemsTable
      title="Notes"
      subtitle="Nothing to fix: what the engine left to Backstage, such as placeholders of URLs, which Backstage reads itself."
      problems={errors.filter(e => e.severity === 'info')}
    />
  </>
);
