import type { Knex } from 'knex';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * The hash-chained logs of legal acts, `procedure_log` (012) and `objection_log` (013), are appended one writer at
 * a time: the chain trigger takes an advisory lock, then reads the log's newest entry and chains the new one to
 * it. That read sees the newest entry only in a READ COMMITTED transaction, where each statement takes a fresh
 * snapshot. A REPEATABLE READ or SERIALIZABLE transaction reads with the snapshot of its first statement: an
 * officer who began one, read anything, and waited while another session appended an entry, chained the next
 * entry to the head from before, past the one appended meanwhile. Two entries then carry the same `prev_hash`
 * (a fork): verify reports the later one `…-log-broken-link` for ever, and a superuser who deletes one of the two
 * (triggers off) gets a chain that checks again.
 *
 * The lock cannot be made to read a newer snapshot inside such a transaction (there is no head row to lock: the
 * head is whichever entry is newest, and a row inserted after the snapshot is invisible to it, FOR UPDATE or not),
 * so an append is refused unless the transaction is READ COMMITTED (or READ UNCOMMITTED, which PostgreSQL runs as
 * READ COMMITTED). The engine's own writes (a procedure, an objection step) never ask for another level. A
 * trigger of its own on each log, named to fire before the chain trigger (BEFORE triggers fire in name order),
 * so the refusal comes before the lock is taken or the step checked.
 */
const LOGS = ['procedure_log', 'objection_log'] as const;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '050-log-chains-read-committed');
  await knex.raw(`
    CREATE FUNCTION log_chain_read_committed() RETURNS trigger LANGUAGE plpgsql ${pinned} AS $$
    BEGIN
      IF current_setting('transaction_isolation') NOT IN ('read committed', 'read uncommitted') THEN
        RAISE EXCEPTION '% is hash-chained: append to it only in a READ COMMITTED transaction (this one is %): an older snapshot would chain the entry to a head that is no longer the newest and fork the log / % 是哈希链日志，只能在 READ COMMITTED 事务中追加',
          TG_TABLE_NAME, upper(current_setting('transaction_isolation')), TG_TABLE_NAME
          USING ERRCODE = 'invalid_transaction_state',
                HINT = 'run the command again without SET TRANSACTION ISOLATION LEVEL (the credit-etl commands never set it)';
      END IF;
      RETURN NEW;
    END $$;
  `);
  for (const log of LOGS) {
    // "chain_read_committed" sorts before "procedure_log_chain" and "objection_log_write": it fires first.
    await knex.raw(`
      CREATE TRIGGER chain_read_committed BEFORE INSERT ON ${log}
        FOR EACH ROW EXECUTE FUNCTION log_chain_read_committed();
    `);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const log of LOGS) await knex.raw(`DROP TRIGGER chain_read_committed ON ${log}`);
  await knex.raw('DROP FUNCTION log_chain_read_committed()');
}
