import type { Warehouse } from './connect-warehouse.ts';

/** An entry version as `catalog_entries` records it (append-only: a changed entry is another row). */
export interface CatalogEntryRecord {
  code: string;
  version: number;
  title: string;
  effectiveFrom: string;
  contentHash: string;
  /** The entry as published, JSON. */
  entry: unknown;
}

/** Each recorded entry version's content hash. */
export async function recordedCatalogEntries(
  warehouse: Warehouse,
): Promise<{ code: string; version: number; content_hash: string }[]> {
  return warehouse('catalog_entries').select<{ code: string; version: number; content_hash: string }[]>(
    'code',
    'version',
    'content_hash',
  );
}

/** The copy of an entry version the warehouse recorded first: the one rows were loaded under from the start. */
export interface FirstRecordedCopy {
  code: string;
  version: number;
  contentHash: string;
  firstSyncedAt: Date;
}

/** Each recorded entry version's first copy (the lowest id of its code and version: `catalog_entries` is append-only). */
export async function firstRecordedCopies(warehouse: Warehouse): Promise<FirstRecordedCopy[]> {
  const rows = await warehouse('catalog_entries')
    .distinctOn('code', 'version')
    .orderBy([{ column: 'code' }, { column: 'version' }, { column: 'id' }])
    .select<{ code: string; version: number; content_hash: string; first_synced_at: Date }[]>(
      'code',
      'version',
      'content_hash',
      'first_synced_at',
    );
  return rows.map((row) => ({
    code: row.code,
    version: row.version,
    contentHash: row.content_hash,
    firstSyncedAt: row.first_synced_at,
  }));
}

/** Records an entry version's content; the same content recorded before is left as it is. */
export async function recordCatalogEntry(warehouse: Warehouse, record: CatalogEntryRecord): Promise<void> {
  await warehouse('catalog_entries')
    .insert({
      code: record.code,
      version: record.version,
      title: record.title,
      effective_from: record.effectiveFrom,
      content_hash: record.contentHash,
      entry: JSON.stringify(record.entry),
    })
    .onConflict(['code', 'version', 'content_hash'])
    .ignore();
}

/** Whether this content of an entry version is recorded (the same code, version and content hash). */
export async function isCatalogEntryRecorded(
  warehouse: Warehouse,
  entry: { code: string; version: number; contentHash: string },
): Promise<boolean> {
  const found = await warehouse('catalog_entries')
    .where({ code: entry.code, version: entry.version, content_hash: entry.contentHash })
    .first('id');
  return found !== undefined;
}

/**
 * Copies of published entry versions that this project itself corrected in place before a recorded version became
 * immutable (docs/catalog.md "Entry format": the v1 subject rules, the disclosure blocks, the 前置库 aliases, the
 * 2016 layouts' mapping): a warehouse that first recorded one of the `earlier` copies accepts the `shipped` one
 * (it recorded it beside the first, and the warning was logged then). Nothing else may differ from the first copy.
 */
export const CORRECTED_IN_PLACE: readonly {
  /** The entry's code. */
  entry: string;
  version: number;
  shipped: string;
  earlier: readonly string[];
}[] = [
  {
    entry: 'frdj',
    version: 1,
    shipped: '40c323a40689956b206872d0dd08407ea2720a42901b6e8a0b30e19abe3ef2d7',
    earlier: ['e29972dba323486ac6226946983939d5b91e70835ebb9e41a4f2a8464fd2b53c'],
  },
  {
    entry: 'xzcf',
    version: 0,
    shipped: '4744433f2ccc7f031fcb971320a7e004f1df495e7010e46e9a02d2d3eaf62ffa',
    earlier: [
      'd5fae2494899ca4958f5807f232d22930d8388b5a2c92dd385fedc5e7d3e4bfe',
      '7006dcbbe5e97ca79f0b7ef8e8ed040200fe53ef7c8e61540a731b12bd105c16',
    ],
  },
  {
    entry: 'xzcf',
    version: 1,
    shipped: 'de9002dc61160aa1fef98d10cf9b6781238443b3d360888f0db96dbaaa9651b4',
    earlier: [
      '6315d037f766f0d09ffeda4e05a32c59bed310a256f88513ffcea7ba35d1682d',
      '4800708cc83590d353ecb2f57c4d792cf7d7ae908070ce9df18b3746e7cc9e83',
      '657215f556055b8de0e9263ba2171c64360347dce7cdb9f99f5f8aa1e5c803f7',
      'bbbf35c091c6926c8fdff0a4685b4694d2af41b69a212dc4cb03aea2e2d8c12f',
      '8b6286deaed56575af4378e1919b80de5b5d631eab7626b0b0c9edd35a3961f7',
    ],
  },
  {
    entry: 'xzcf',
    version: 2,
    shipped: '47832fc69208aafc4386c7dd4d52abed379bb2ddca10c8a8b8668f1cc326e1f4',
    earlier: ['12076420cb884c0ee3cdb443b6485f9c51dbc588ff2cacfff7ba5fe1ac7d12b1'],
  },
  {
    entry: 'xzqz',
    version: 1,
    shipped: '77636acdd477e92728f6ae7e3a0748933d3219b613aec7f0ce56343627a8f249',
    earlier: [
      'fb3d91e1c39c2434218f1421dfd001061ad3e0ffdfb27cfe6572bde7b054a652',
      'b0f9d2fa7024ae6b4f210f4817daa23930d71b898d6f7e2035b789c2d6a8ee70',
    ],
  },
  {
    entry: 'xzxk',
    version: 0,
    shipped: '6cbc4b78ecd4f416e5d83ae25a760c8b76900db9992decb107ff126bc7d07ada',
    earlier: [
      '2ade143fe43af39bf8dd99905d67a51bd6a3da773d216047347ba4244f478f5e',
      '93a88bf6757a489693239e573d7cdcca5c5373b687ecd05382e4984b0486fc4a',
    ],
  },
  {
    entry: 'xzxk',
    version: 1,
    shipped: '951e1457878bbe4e2ca6d04201946ca045c90ff4db3121329fc2108f2934bb73',
    earlier: [
      '67aab567342c1c89fed5bf82f5ea498d1cc9a7f01b4f21091c468ca16a459fab',
      '010bbc6360dc49163a3b3ee5892346632163202a2eb2c4fb8e11a29b55665fe7',
      '672054917acfe6929f92e506a1b14916ec1c3cf4d5015a8bde43172295af87d6',
      '812be67637ce93860343973f2168969b0750ca8a6bb94a70a648fe39e5f9ed5b',
    ],
  },
  {
    entry: 'yzsxmd',
    version: 1,
    shipped: 'efc452f364b8e3668eaadc07dcc1d02b9a53bcaa0a433f0e9d91cd1e2a09bf58',
    earlier: [
      '4bad7aed04f45b37850d9502fa53de2cfcc1f0b97c6481e80abc3aec59da8abf',
      '91c82c317d0fb161b7fed54fa830e75642551e35a28b19a64c8ebc895ce9ed5e',
    ],
  },
  {
    entry: 'zyzg',
    version: 1,
    shipped: '3c712d10584263ae59d4a3cfb8bf56aeef565bac0484e39301b4ea767be55b2a',
    earlier: ['cc8a82804976742d4635f14113b51c06ae1c82379f35599f98ee5ef156c4cc37'],
  },
];

/** An entry version in the catalog directory whose content is not the copy the warehouse recorded first. */
export interface EditedCopy {
  code: string;
  version: number;
  /** The content hash of the copy in the catalog directory. */
  contentHash: string;
  first: FirstRecordedCopy;
}

/**
 * A recorded entry version is immutable: each copy given (the catalog directory's) must be the one first recorded
 * for its code and version, or the shipped correction of a copy the project corrected in place (CORRECTED_IN_PLACE).
 * A version never recorded is new, not edited. The hash is of canonical JSON (catalogEntryHash): formatting is no
 * change.
 */
export function editedCopies(
  first: readonly FirstRecordedCopy[],
  copies: readonly { code: string; version: number; contentHash: string }[],
): EditedCopy[] {
  const byVersion = new Map(first.map((copy) => [`${copy.code}\u001f${copy.version}`, copy]));
  const edited: EditedCopy[] = [];
  for (const copy of copies) {
    const recorded = byVersion.get(`${copy.code}\u001f${copy.version}`);
    if (!recorded || recorded.contentHash === copy.contentHash) continue;
    const corrected = CORRECTED_IN_PLACE.some(
      (correction) =>
        correction.entry === copy.code &&
        correction.version === copy.version &&
        correction.shipped === copy.contentHash &&
        correction.earlier.includes(recorded.contentHash),
    );
    if (!corrected) edited.push({ ...copy, first: recorded });
  }
  return edited;
}
