import type { Knex } from 'knex';
import type {
  PollOptions,
  RowStream,
  SourceRow,
  SourceUnit,
  Transport,
  TransportContext,
  TransportFactory,
} from '../contracts.ts';
import { isInfrastructureFault } from '../infrastructure-fault.ts';
import { RetryableError, TransportError } from './retry-with-backoff.ts';
import { readSecret } from './secret-from-env.ts';
import { sourceValueText } from './source-value.ts';
import { checkTableConfig, TABLE_CONFIG_SCHEMA, type TableTransportConfig } from './table-config.ts';
import { cellText, connectSource, parseDatabaseTime } from './table-source.ts';
import { legacyWatermarkKey, tableWatermarkKey } from './table-watermark-key.ts';

/** A keyset position: the last (cursor, tie-breaker) pair loaded. */
export interface KeysetPosition {
  cursor: string | number;
  tie?: string | number;
}

/**
 * A watermark as saved: the position, and with a tie-breaker the highest tie-breaker value of the rows loaded
 * so far, by the source's own order. A row behind the position with a higher one (a provider inserting a row
 * dated before the watermark) was never loaded and never will be: each poll counts such rows and warns.
 */
export interface SavedPosition extends KeysetPosition {
  maxTie?: string | number;
}

/**
 * Where the watermark stands before a batch: filled in once the batch before it was read (the next batch's step
 * is read when it commits, after the one before). `maxTie` known: the highest tie-breaker value loaded up to
 * there (undefined with `known`: none); not known, the batch saves no `maxTie` and the next poll finds it.
 */
interface Step {
  value: SavedPosition | undefined;
  maxTie?: string | number;
  known: boolean;
}

/**
 * 库表交换: pulls a 前置库 table or view in keyset order by (cursor, tie-breaker). Each unit is one batch,
 * `(after, upTo]`; its `beforeCommit` moves the watermark from `after` to `upTo` inside the load transaction,
 * so a crash between batches resumes exactly after the last committed one.
 *
 * A batch and a page end only where the cursor changes unless a tie-breaker makes every position unique: without
 * one, `(after, upTo]` takes every row whose cursor is `upTo`'s, and a page that stopped halfway through rows
 * sharing a value would continue with `> value` and skip the rest. So without a tie-breaker a page, like a
 * batch, ends at the pageSize-th row's cursor value and takes all the rows that share it.
 */
export const tableTransportFactory: TransportFactory<TableTransportConfig> = {
  type: 'table',
  configSchema: TABLE_CONFIG_SCHEMA,
  create(config, context) {
    checkTableConfig(config);
    const url = readSecret({ env: config.urlEnv }, context.env, 'table transport: source database URL');
    // knex's messages about the source (a refused connection's stack) are the log's, never stdout's.
    const say = context.notice?.bind(context);
    const db = connectSource(url ?? '', config.timezone, say);
    return new TableTransport(config, db, context);
  },
};

class TableTransport implements Transport {
  readonly type = 'table';
  private readonly key: string;
  /** The source's connection failed while a batch was read: the poll stops there, to be retried as a whole. */
  private sourceFault: RetryableError | undefined;
  /** The batches this transport's polls yielded, to know a failure settled on one of them. */
  private readonly batches = new WeakSet<SourceUnit>();
  /** A batch of the current poll that settled `failed`: the poll stops after it (see `poll`). */
  private failedBatch: SourceUnit | undefined;
  private readonly batchSize: number;
  private readonly pageSize: number;
  /** The columns read, in order; undefined: every column of the table (its header comes with the first page). */
  private readonly sourceColumns: string[] | undefined;

  constructor(
    private readonly config: TableTransportConfig,
    private readonly db: Knex,
    private readonly context: TransportContext,
  ) {
    this.key = tableWatermarkKey(config, context.pipeline);
    this.batchSize = config.batchSize ?? 5000;
    this.pageSize = Math.min(config.pageSize ?? 1000, this.batchSize);
    this.sourceColumns = config.columns ? Object.keys(config.columns) : undefined;
  }

  /** The table and where its database is named; the URL itself holds a password and is never shown. */
  describe(): string {
    return `table ${this.config.table} (database from $${this.config.urlEnv})`;
  }

  async *poll(options: PollOptions): AsyncIterable<SourceUnit> {
    if (!this.context.watermarks) {
      throw new TransportError(
        'no-watermark-store',
        'table transport needs a watermark store in its context',
      );
    }
    await this.warnOfRowsWithoutCursor();
    const { saved, start } = await this.startingPoint(this.context.watermarks);
    // `saved` is where this key's watermark stands (undefined: no row yet); `after` is where reading resumes.
    let previous: Step = { value: saved, ...(await this.loadedMaxTie(start)) };
    await this.warnOfRowsBehind(start, previous);
    let after = start;
    this.failedBatch = undefined;
    for (;;) {
      // A batch whose read lost the source ends the poll: the batches after it would only be refused.
      if (this.sourceFault) throw this.sourceFault;
      const upTo = await this.fromSource(() => this.boundary(after, this.batchSize));
      if (!upTo) return;
      // Stopping (SIGTERM): no batch is read after it; the rows left wait for the next run, from the watermark.
      // Looked at only once a batch is left, so a stop during the last batch leaves the run as its batches ended
      // (connectors/contracts.ts PollOptions.signal).
      if (options.signal?.aborted) return;
      const { unit, step } = this.unit(previous, after, upTo);
      this.batches.add(unit);
      yield unit;
      // The runner settles a unit before it asks for the next one. A batch that failed (over its threshold, a
      // row the loader refused) left the watermark where it was: every batch after it would be read only to be
      // refused (`watermark-moved`). The poll ends; the next run reads on from the unmoved watermark.
      if (this.failedBatch === unit) {
        await this.warnOfRowsLeft(unit, previous.value, upTo);
        return;
      }
      previous = step;
      after = upTo;
    }
  }

  /**
   * The highest tie-breaker value loaded up to `start`: saved with it, else (a watermark saved before it was kept,
   * or the old default key's) the highest of the rows behind it now, once; those count as loaded.
   */
  private async loadedMaxTie(start: SavedPosition | undefined): Promise<Omit<Step, 'value'>> {
    const { tieBreaker } = this.config.cursor;
    if (!tieBreaker) return { known: false };
    if (!start) return { known: true };
    if (start.maxTie !== undefined) return { known: true, maxTie: start.maxTie };
    return { known: true, ...(await this.highestTie(undefined, start, undefined)) };
  }

  /**
   * The highest tie-breaker value of the rows in `(after, upTo]` above `above` (the source's order decides), or
   * `above` itself when there is none.
   */
  private async highestTie(
    after: KeysetPosition | undefined,
    upTo: KeysetPosition,
    above: string | number | undefined,
  ): Promise<{ maxTie?: string | number }> {
    const { column, tieBreaker } = this.config.cursor;
    const range = this.notAfter(
      this.afterPosition(this.db.from(this.config.table).whereNotNull(column), after),
      upTo,
    );
    const query = above === undefined ? range : range.where(tieBreaker!, '>', above);
    const [row] = await this.fromSource(() => query.max({ highest: tieBreaker! }));
    const highest = (row as { highest?: unknown } | undefined)?.highest;
    if (highest === null || highest === undefined) return above === undefined ? {} : { maxTie: above };
    return { maxTie: typeof highest === 'number' ? highest : cellText(highest) };
  }

  /**
   * Rows dated behind the watermark that arrived after it passed them (a provider inserting a row with an older
   * update time) are never read: each poll counts the rows behind it whose tie-breaker is higher than any loaded
   * (with an increasing id such as a primary key, every row inserted since), and warns. One query through the
   * tie-breaker's index over the rows above the highest loaded: cheap with an index on it (a primary key).
   */
  private async warnOfRowsBehind(start: KeysetPosition | undefined, loaded: Step): Promise<void> {
    const { column, tieBreaker } = this.config.cursor;
    if (!this.context.warn || !tieBreaker || !start || loaded.maxTie === undefined) return;
    const maxTie = loaded.maxTie;
    const [row] = await this.fromSource(() =>
      this.notAfter(this.db.from(this.config.table).whereNotNull(column), start)
        .where(tieBreaker, '>', maxTie)
        .count({ rows: '*' }),
    );
    const count = Number(row?.rows ?? 0);
    if (count === 0) return;
    this.context.warn(
      `${this.describe()}: ${count} row(s) are dated before the watermark (${positionLabel(start)}) but came ` +
        `after it had passed them (${tieBreaker} above ${maxTie}, the highest loaded), and are never read; ` +
        `the 前置库's operator must give them a new ${column} to have them read`,
      'table-rows-behind-watermark',
    );
  }

  /** After a failed batch: whether rows past it were left unread, said once for the run (`table-rows-left`). */
  private async warnOfRowsLeft(
    unit: SourceUnit,
    watermark: KeysetPosition | undefined,
    upTo: KeysetPosition,
  ): Promise<void> {
    // One indexed row; a source that cannot answer now is no reason to fail the run over a warning.
    const more = await this.boundary(upTo, 1).then(
      (next) => next !== undefined,
      () => true,
    );
    if (!more) return;
    this.context.warn?.(
      `${this.describe()}: batch ${unit.name} failed, so the rows after it are not read in this run; ` +
        `the next run reads them, from the watermark where it stays (${positionLabel(watermark)})`,
      'table-rows-left',
    );
  }

  /**
   * Rows whose cursor is NULL have no place in the keyset order and are never read: each poll says how many there
   * are, so that rows the provider put in the 前置库 do not stay out of the warehouse unseen.
   */
  private async warnOfRowsWithoutCursor(): Promise<void> {
    if (!this.context.warn) return;
    const { column } = this.config.cursor;
    const [row] = await this.fromSource(() =>
      this.db.from(this.config.table).whereNull(column).count({ rows: '*' }),
    );
    const count = Number(row?.rows ?? 0);
    if (count === 0) return;
    this.context.warn(
      `${this.describe()}: ${count} row(s) have no ${column} (NULL) and are never read; ` +
        `the 前置库's operator must set ${column} on them`,
    );
  }

  /** This key's saved position; without one, the position saved under the old default key (`table:<table>`). */
  private async startingPoint(
    watermarks: NonNullable<TransportContext['watermarks']>,
  ): Promise<{ saved: SavedPosition | undefined; start: SavedPosition | undefined }> {
    const saved = checkPosition(await watermarks.read(this.key), this.key);
    const legacy = legacyWatermarkKey(this.config);
    if (saved || legacy === this.key) return { saved, start: saved };
    return { saved, start: checkPosition(await watermarks.read(legacy), legacy) };
  }

  /**
   * A source query; an infrastructure fault (connection lost or refused) becomes a RetryableError: the run's
   * attempt ends and is retried, and nothing is recorded against the batch, whose rows stay to be read.
   */
  private async fromSource<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      if (!isInfrastructureFault(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      this.sourceFault ??= new RetryableError('source-connection', `${this.describe()}: ${reason}`);
      throw this.sourceFault;
    }
  }

  /**
   * Rows of a table are not files: nothing to move aside; the watermark records what was loaded. A batch that
   * failed ends the poll that yielded it (see `poll`).
   */
  async settle(unit: SourceUnit, outcome: 'loaded' | 'failed'): Promise<void> {
    if (outcome === 'failed' && this.batches.has(unit)) this.failedBatch = unit;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /**
   * Where a batch or page of `count` rows after `after` ends: the count-th row's position, else the last row's
   * there is (none past `upTo`, when given). Without a tie-breaker, every row sharing that cursor value belongs.
   */
  private async boundary(
    after: KeysetPosition | undefined,
    count: number,
    upTo?: KeysetPosition,
  ): Promise<KeysetPosition | undefined> {
    const { column, tieBreaker } = this.config.cursor;
    const keys = (query: Knex.QueryBuilder) => {
      const from = this.afterPosition(query.from(this.config.table).whereNotNull(column), after);
      return (upTo ? this.notAfter(from, upTo) : from).select({
        k0: column,
        ...(tieBreaker ? { k1: tieBreaker } : {}),
      });
    };
    const ascending = [{ column }, ...(tieBreaker ? [{ column: tieBreaker }] : [])];
    const descending = ascending.map((order) => ({ ...order, order: 'desc' }));
    const nth = await keys(this.db.queryBuilder())
      .orderBy(ascending)
      .offset(count - 1)
      .limit(1);
    const row = nth[0] ?? (await keys(this.db.queryBuilder()).orderBy(descending).limit(1))[0];
    return row ? positionOf(row, tieBreaker !== undefined) : undefined;
  }

  private afterPosition(query: Knex.QueryBuilder, after: KeysetPosition | undefined): Knex.QueryBuilder {
    if (!after) return query;
    const { column, tieBreaker } = this.config.cursor;
    if (!tieBreaker || after.tie === undefined) return query.where(column, '>', after.cursor);
    return query.where((outer) =>
      outer
        .where(column, '>', after.cursor)
        .orWhere((inner) => inner.where(column, '=', after.cursor).andWhere(tieBreaker, '>', after.tie!)),
    );
  }

  private notAfter(query: Knex.QueryBuilder, upTo: KeysetPosition): Knex.QueryBuilder {
    const { column, tieBreaker } = this.config.cursor;
    if (!tieBreaker || upTo.tie === undefined) return query.where(column, '<=', upTo.cursor);
    return query.where((outer) =>
      outer
        .where(column, '<', upTo.cursor)
        .orWhere((inner) => inner.where(column, '=', upTo.cursor).andWhere(tieBreaker, '<=', upTo.tie!)),
    );
  }

  /**
   * `previous`: where the watermark stands before the batch (read when it commits); `after`: where the batch's
   * rows begin. `step`: where it stands after the batch, its highest tie-breaker known once the rows were read.
   */
  private unit(
    previous: Step,
    after: KeysetPosition | undefined,
    upTo: KeysetPosition,
  ): { unit: SourceUnit; step: Step } {
    const step: Step = { value: upTo, known: false };
    // Found after the rows were read: a row inserted into the batch's range behind the pages counts as loaded
    // (it is not warned of), never a row that was read as not loaded.
    const read = async () => {
      if (!this.config.cursor.tieBreaker || !previous.known) return;
      const { maxTie } = await this.highestTie(after, upTo, previous.maxTie);
      step.known = true;
      if (maxTie === undefined) return;
      step.maxTie = maxTie;
      step.value = { ...upTo, maxTie };
    };
    const unit: SourceUnit = {
      name: `${this.config.table} (${positionLabel(after)} … ${positionLabel(upTo)}]`,
      receivedAt: new Date(),
      rows: async () => this.rowStream(after, upTo, read),
      beforeCommit: (commit) => commit.advanceWatermark(this.key, previous.value, step.value),
    };
    return { unit, step };
  }

  /** `read`: called once every row of the batch was read. */
  private async rowStream(
    after: KeysetPosition | undefined,
    upTo: KeysetPosition,
    read: () => Promise<void>,
  ): Promise<RowStream> {
    const pages = this.pages(after, upTo)[Symbol.asyncIterator]();
    // Every column: the header is the table's column names as the first page has them (a batch has rows).
    const first = await pages.next();
    const header = this.sourceColumns
      ? this.sourceColumns.map((column) => this.config.columns?.[column] ?? column)
      : (first.value?.header ?? []);
    async function* batches(): AsyncIterable<SourceRow[]> {
      if (!first.done) {
        yield first.value.rows;
        for (let next = await pages.next(); !next.done; next = await pages.next()) yield next.value.rows;
      }
      await read();
    }
    return { header, encoding: 'utf8', batches: batches(), stats: () => ({ blankLines: 0 }) };
  }

  /** The batch's rows in keyset pages of pageSize: memory holds one page, whatever the batch size. */
  private async *pages(
    after: KeysetPosition | undefined,
    upTo: KeysetPosition,
  ): AsyncGenerator<{ header: string[]; rows: SourceRow[] }> {
    const { column, tieBreaker } = this.config.cursor;
    const timezone = this.config.timezone ?? '+08:00';
    const selected: Record<string, string> = { k0: column };
    if (tieBreaker) selected.k1 = tieBreaker;
    if (this.config.receivedAtColumn) selected.r0 = this.config.receivedAtColumn;
    this.sourceColumns?.forEach((name, i) => {
      selected[`c${i}`] = name;
    });
    const bookkeeping = new Set(Object.keys(selected));
    const order = [{ column }, ...(tieBreaker ? [{ column: tieBreaker }] : [])];
    let position = after;
    let rowNumber = 0;
    for (;;) {
      // With a tie-breaker every position is unique and a page is the next pageSize rows; without one it ends
      // where a cursor value does (see the class comment): memory holds the rows sharing one value at least.
      const pageEnd = tieBreaker
        ? upTo
        : await this.fromSource(() => this.boundary(position, this.pageSize, upTo));
      if (!pageEnd) return;
      const query = this.notAfter(this.afterPosition(this.db.from(this.config.table), position), pageEnd);
      const selection = (
        this.sourceColumns ? query.select(selected) : query.select(`${this.config.table}.*`, selected)
      ).orderBy(order);
      const rows: Record<string, unknown>[] = await this.fromSource(async () =>
        tieBreaker ? selection.limit(this.pageSize) : selection,
      );
      if (rows.length === 0) return;
      const keys = this.sourceColumns
        ? this.sourceColumns.map((_, i) => `c${i}`)
        : Object.keys(rows[0]!).filter((key) => !bookkeeping.has(key));
      yield {
        header: keys,
        rows: rows.map((row) => {
          const received = row.r0 == null ? undefined : parseDatabaseTime(cellText(row.r0), timezone);
          rowNumber++;
          return {
            rowNumber,
            cells: keys.map((key) => sourceValueText(row[key], timezone)),
            ...(received ? { receivedAt: received } : {}),
          };
        }),
      };
      position = positionOf(rows[rows.length - 1]!, tieBreaker !== undefined);
      if (tieBreaker && rows.length < this.pageSize) return;
    }
  }
}

/** A position as people read it in a batch's name: `2026-11-20 10:00:01 #7`; `start` before the first row. */
function positionLabel(position: KeysetPosition | undefined): string {
  return position ? [position.cursor, position.tie].filter((part) => part !== undefined).join(' #') : 'start';
}

function positionOf(row: Record<string, unknown>, withTie: boolean): KeysetPosition {
  const value = (cell: unknown) => (typeof cell === 'number' ? cell : cellText(cell));
  return withTie ? { cursor: value(row.k0), tie: value(row.k1) } : { cursor: value(row.k0) };
}

function checkPosition(saved: unknown, key: string): SavedPosition | undefined {
  if (saved === undefined || saved === null) return undefined;
  const position = saved as Partial<SavedPosition>;
  const scalar = (value: unknown) => typeof value === 'string' || typeof value === 'number';
  if (
    typeof saved !== 'object' ||
    !scalar(position.cursor) ||
    (position.tie !== undefined && !scalar(position.tie)) ||
    (position.maxTie !== undefined && !scalar(position.maxTie))
  ) {
    throw new TransportError(
      'invalid-watermark',
      `watermark ${key} is not a keyset position: ${JSON.stringify(saved)}`,
    );
  }
  return position as SavedPosition;
}
