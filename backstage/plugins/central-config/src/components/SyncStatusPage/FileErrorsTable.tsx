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

/**
 * The source's current file problems. Files with errors keep the entities
 * of their last good revision until they are fixed.
 */
export const FileErrorsTable = ({ errors }: { errors: FileError[] }) => {
  if (errors.length === 0) {
    return null;
  }
  const rows = errors.map((e, i) => ({ ...e, id: `${e.file}:${i}` }));
  return (
    <Table
      title={`File errors (${errors.length})`}
      subtitle="These files keep the entities of their last good revision until they are fixed."
      options={{ paging: errors.length > 10, search: false, padding: 'dense' }}
      columns={columns}
      data={rows}
    />
  );
};
