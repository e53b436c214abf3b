import type { Knex } from 'knex';

/**
 * A provider's request to withdraw a record it does not hold (a city channel asking to withdraw what the province
 * delivers too, 省市互补; another department's record) is refused as `withdrawal-not-provider-record`, and a
 * withdrawal delivered beside the same key as data, for a record already withdrawn or superseded, as
 * `withdrawal-with-data`: a row in `rejections`, and nothing else. The request is what an officer reading the
 * record must see (the decision may have been revoked at the city), so the merge now writes the record's id into
 * the error object (`errors -> 0 -> 'record'`, a number; merge-withdrawals.ts) and `record` lists the record's
 * refused requests.
 *
 * `rejections` is append-only and the biggest table after lineage: finding one record's requests must not read
 * it. A partial expression index holds only those two codes' rows, by record id: a few entries per refused
 * request, none for any other rejection. Its expression is jsonb, not a cast to bigint, so no rejection can fail
 * to be written because of it. Rejections written before this migration carry no id and are not listed (their
 * message names `记录 <id>`; rows are never updated, so they are not backfilled).
 *
 * `down` drops the index.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE INDEX rejections_withdrawal_record ON rejections ((errors -> 0 -> 'record'))
      WHERE errors -> 0 ->> 'code' IN ('withdrawal-not-provider-record', 'withdrawal-with-data');
    COMMENT ON INDEX rejections_withdrawal_record IS
      'a record''s refused withdrawal requests, by the record id the merge writes into the error (062)';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX rejections_withdrawal_record;');
}
