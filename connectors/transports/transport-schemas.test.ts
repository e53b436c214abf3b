import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../registry.ts';

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });

/** The README's examples of each channel's `transport` section (kept short here: the mapping is elided). */
const EXAMPLES: Record<string, unknown> = {
  'drop-folder': {
    type: 'drop-folder',
    directory: '/srv/exchange/xzcf',
    glob: '*.{csv,xlsx,zip}',
    markerSuffixes: ['.ok', '.done'],
  },
  sftp: {
    type: 'sftp',
    host: 'exchange.example.gov.cn',
    username: 'credit',
    password: { env: 'SFTP_PASSWORD' },
    hostKeySha256: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU',
    remoteDir: '/out/xzcf',
    completeness: { marker: '.done' },
  },
  table: {
    type: 'table',
    urlEnv: 'QZK_URL',
    table: 'exchange.xzcf_out',
    columns: { cf_wsh: '行政处罚决定书文号' },
    cursor: { column: 'updated_at', tieBreaker: 'id' },
    batchSize: 5000,
  },
  http: {
    type: 'http',
    url: 'https://api.example.gov.cn/xzcf',
    paging: { mode: 'cursor', nextCursorPath: 'data.next' },
    recordsPath: 'data.list',
    columns: { CF_WSH: 'CF_WSH' },
    auth: { header: 'Authorization', prefix: 'Bearer ', value: { env: 'XZCF_TOKEN' } },
  },
};

describe.each(Object.keys(TRANSPORTS))('the %s transport config schema', (type) => {
  const validate = ajv.compile(TRANSPORTS[type]!.configSchema);

  it('compiles under strict ajv and accepts the documented example', () => {
    expect(validate(EXAMPLES[type]), JSON.stringify(validate.errors)).toBe(true);
  });

  it('refuses unknown keys and a secret written into the file', () => {
    expect(validate({ ...(EXAMPLES[type] as object), surprise: 1 })).toBe(false);
    expect(validate({ ...(EXAMPLES[type] as object), password: 'plain-text' })).toBe(false);
  });
});

describe('where each transport of the documented examples looks', () => {
  const context = {
    stagingDir: '/tmp/unused',
    env: { QZK_URL: 'postgres://reader:secret@db.example.gov.cn/qzk', XZCF_TOKEN: 't' },
  };
  const where: Record<string, string> = {
    'drop-folder': '/srv/exchange/xzcf',
    sftp: 'sftp://exchange.example.gov.cn:22/out/xzcf',
    table: 'table exchange.xzcf_out (database from $QZK_URL)',
    http: 'https://api.example.gov.cn/xzcf',
  };

  it.each(Object.keys(TRANSPORTS))('%s names it without any secret', async (type) => {
    const { type: _type, ...config } = EXAMPLES[type] as { type: string };
    const transport = TRANSPORTS[type]!.create(config as never, context);
    try {
      expect(transport.describe?.('2026-11-30')).toBe(where[type]);
    } finally {
      await transport.close();
    }
  });
});
