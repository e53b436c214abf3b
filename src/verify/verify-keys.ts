import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { compileEntry } from '../run/compiled-entry.ts';
import { recordedCatalogEntries } from '../warehouse/catalog-entries-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { keyPages } from '../warehouse/integrity-repository.ts';
import type { RowData } from '../warehouse/records-repository.ts';
import type { IntegrityProblem, RecordFinding, VerifyScope } from './integrity-finding.ts';
import { keyShownBy } from './shown-key.ts';
import { storedEntry } from './stored-entry.ts';
import { versionDataProblems } from './version-data.ts';

export interface KeyPage {
  /** Records whose key was recomputed. */
  keys: number;
  findings: RecordFinding[];
}

/**
 * Every record in scope, a page at a time, with its business key, content hash and level checked against its current version's data
 * by the key function of the catalog entry version that version was stored under (compileEntry, as the load
 * and the legal procedures compute it). `records.business_key` and `records.catalog_code` are outside every
 * chain: a record whose key or catalog was rewritten would be found under another decision number, and shown
 * with it. The version's own catalog is its file's, or the procedure's that wrote it.
 *
 * A current version a procedure wrote is validated as a delivery's row is; every current version's subject and
 * formation date are recomputed from its data (version-data.ts): the procedure functions store what their caller
 * hands them. A version stored under
 * an entry version catalog/ does not hold is a finding (`catalog-version-unknown`), not left unchecked: nothing
 * the engine stores can be under one, and nothing about it could be checked.
 *
 * Every version of a record has its record's key: the merge adds a version only to the record its row's key
 * finds (under the entry version the file was loaded with, a legacy layout's row derived first), `correct`
 * keeps the key (the database refuses another), and `reattribute` writes its row to a new record of the new
 * key while the old record keeps its versions. So the current version, whichever entry version it was stored
 * under, gives the record's key.
 */
export async function* verifyKeys(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: VerifyScope,
  // A page carries each record's data (~1 KB): 2,000 a page is as fast as 5,000 (20,000 records: 16 µs each).
  pageSize = 2_000,
): AsyncGenerator<KeyPage> {
  // Only for a finding's words: whether a version catalog/ lacks is one the warehouse ever applied (002).
  let recorded: Set<string> | undefined;
  const wasRecorded = async (code: string, version: number | null) => {
    recorded ??= new Set((await recordedCatalogEntries(warehouse)).map((e) => `${e.code} v${e.version}`));
    return recorded.has(`${code} v${version}`);
  };
  for await (const rows of keyPages(warehouse, scope, pageSize)) {
    const page: KeyPage = { keys: 0, findings: [] };
    for (const row of rows) {
      // Out of scope, or a current version that is not the record's own (the history check names it).
      if (!row.checked || row.versionNo === null) continue;
      const finding = (detail: string, problem: IntegrityProblem = 'key-differs'): RecordFinding => ({
        recordId: row.recordId,
        catalogCode: row.catalogCode,
        businessKey: row.businessKey,
        catalogVersion: row.catalogVersion,
        versionNo: row.versionNo,
        problem,
        detail,
      });
      if (row.versionCatalogCode !== row.catalogCode) {
        page.findings.push(
          finding(
            row.versionCatalogCode === null
              ? `the record is filed under ${row.catalogCode}, but its current version names no file or procedure there is`
              : `the record is filed under ${row.catalogCode}, its current version came in under ${row.versionCatalogCode}`,
          ),
        );
        continue;
      }
      const entry = storedEntry(catalog, row.catalogCode, row.catalogVersion);
      if (!entry) {
        const under = `${row.catalogCode} v${row.catalogVersion ?? '?'}`;
        page.findings.push(
          finding(
            (await wasRecorded(row.catalogCode, row.catalogVersion))
              ? `its current version was stored under ${under}, which catalog/ does not hold (the warehouse recorded it in catalog_entries): its data cannot be checked`
              : `its current version was stored under ${under}, which neither catalog/ nor the warehouse (catalog_entries) has: no delivery or procedure of the engine stores under it`,
            'catalog-version-unknown',
          ),
        );
        continue;
      }
      page.keys += 1;
      // The level is the highest channel that delivered the current content (a merge raises it, never lowers
      // it): one below a channel that delivered it passes that channel's conflicts for updates.
      const rank = (level: string) => entry.precedence.indexOf(level as ChannelLevel);
      const outranking = (row.deliveredLevels ?? []).filter((level) => rank(level) < rank(row.level));
      if (outranking.length > 0)
        page.findings.push(
          finding(
            `level ${row.level}, below ${outranking.join(', ')}, which delivered its current version (precedence ${entry.precedence.join(' > ')})`,
            'level-below-delivery',
          ),
        );
      const compiled = compileEntry(entry);
      const problems = versionDataProblems(compiled, row);
      // Not a row: nothing below could read it.
      if (!isRow(row.data)) {
        for (const { problem, detail } of problems) page.findings.push(finding(detail, problem));
        continue;
      }
      const recomputed = compiled.businessKey(row.data);
      // Each part as its field says: a 证件号码 part masked whole, whatever it holds (free-text masking would
      // show a mistyped ID or a passport number); joined as every key verify reports (shown-key.ts).
      const shownKey = (key: string) => keyShownBy(entry, key);
      if (recomputed !== row.businessKey)
        page.findings.push(
          finding(
            `stored key ${shownKey(row.businessKey)}, its current version (${entry.code} v${entry.version}) gives ${shownKey(recomputed)}`,
          ),
        );
      const hash = compiled.contentHash(row.data);
      if (hash !== row.contentHash)
        page.findings.push(
          finding(
            `stored content hash ${row.contentHash}, its data (${entry.code} v${entry.version}) gives ${hash}`,
            'content-hash-differs',
          ),
        );
      for (const { problem, detail } of problems) page.findings.push(finding(detail, problem));
    }
    yield page;
  }
}

const isRow = (data: unknown): data is RowData =>
  data !== null && typeof data === 'object' && !Array.isArray(data);
