import { Link, Table, TableColumn } from '@backstage/core-components';
import { FileError } from '@internal/plugin-central-config-common';

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
 * warnings, whose files are synced.
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
      problems={errors.filter(e => e.severity !== 'error')}
    />
  </>
);
