import type { TransportFactory } from './contracts.ts';
import { dropFolderTransport } from './transports/drop-folder.ts';
import { httpTransportFactory } from './transports/http-transport.ts';
import { sftpTransportFactory } from './transports/sftp-transport.ts';
import { tableTransportFactory } from './transports/table-transport.ts';

// The formats are registered in formats/format-for-file.ts, which unit workers import without the transports.
export { formatForFile } from './formats/format-for-file.ts';

/** Every transport type a pipeline file may name, listed by hand. */
export const TRANSPORTS: Readonly<Record<string, TransportFactory<never>>> = {
  'drop-folder': dropFolderTransport,
  http: httpTransportFactory,
  sftp: sftpTransportFactory,
  table: tableTransportFactory,
};
