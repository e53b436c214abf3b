import type { TransportContext, TransportFactory } from '../contracts.ts';
import { DELIVERY_GLOB, type FileDropSettings, FileDropTransport } from './file-drop/file-drop-transport.ts';
import { SftpDropPort } from './file-drop/sftp-drop-port.ts';
import { SFTP_CONFIG_SCHEMA, type SftpTransportConfig } from './sftp-config.ts';

/** SFTP drops (数据文件): the file-drop protocol over an SFTP server, each file downloaded when its turn comes. */
export const sftpTransportFactory: TransportFactory<SftpTransportConfig> = {
  type: 'sftp',
  configSchema: SFTP_CONFIG_SCHEMA,
  create: (config, context) => new SftpTransport(config, context),
};

export class SftpTransport extends FileDropTransport {
  constructor(config: SftpTransportConfig, context: TransportContext) {
    super('sftp', new SftpDropPort(config, context), sftpSettings(config), context);
  }
}

/** The stable-size window of a drop with done-markers, unless `completeness.stableForMs` says otherwise. */
const MARKER_STABLE_MS = 2000;

/** The `sftp` section's keys, as the file-drop protocol's settings. */
function sftpSettings(config: SftpTransportConfig): FileDropSettings {
  const completeness = config.completeness ?? { stableForMs: 10_000 };
  return {
    directory: config.remoteDir,
    glob: config.glob ?? DELIVERY_GLOB,
    markerSuffixes: 'marker' in completeness ? [completeness.marker] : [],
    // With a marker too, the file's size and time must hold still this long (a writer still appending).
    stableMs: completeness.stableForMs ?? MARKER_STABLE_MS,
    processedDir: config.processedDir ?? 'processed',
    failedDir: config.failedDir ?? 'failed',
  };
}
