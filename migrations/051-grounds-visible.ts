import type { Knex } from 'knex';
import { pinnedSearchPath } from './pinned-search-path.ts';

/**
 * A legal procedure's basis (文号), reason and operator, and an unmask's reason and OS user, must show something.
 * 033's rule (blank after removing whitespace, U+00A0, U+3000 and U+200B–D, U+2060, U+FEFF) let through text
 * that shows nothing: U+0085 (a control character), the direction marks U+200E/F, the Hangul fillers U+3164,
 * U+FFA0, U+115F/1160, U+202F, the Braille blank U+2800, the soft hyphen U+00AD, U+034F, the Mongolian selectors
 * U+180B–180F, the variation selectors U+FE00–FE0F… — `procedure withdraw 3 --basis $'\u0085' --reason $'\u200e'
 * --operator $'\u3164'` withdrew a record, logged with grounds nobody can read. Now each needs at least one
 * character outside SHOWS_NOTHING (control characters, whitespace, format and invisible characters, fillers and
 * selectors): src/identifiers/invisible-characters.ts holds the same list for the CLI and the console, and a
 * test holds the two equal, code point by code point.
 *
 * - procedure_grounds() (012, 033), which every procedure function calls first, refuses such grounds;
 * - `procedure_log` refuses an entry without them (a second line behind the function), and `unmask_views` a
 *   reason or a CLI user that shows nothing (044's check let any text but ASCII spaces pass, 049's had 033's
 *   list). The checks are NOT VALID: they hold for every row appended from now on and leave the rows logged
 *   before as they are (the logs are append-only: their triggers refuse to change a row anyway).
 */

/** What shows nothing, as the ranges of a bracket expression of PostgreSQL's regular expressions (NUL aside). */
export const SHOWS_NOTHING = String.raw`\u0001-\u0020\u007f-\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f\u2800\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef`;

/** A text that holds at least one character that shows (null: none). */
const visible = (value: string) => `coalesce(${value} ~ '[^${SHOWS_NOTHING}]', false)`;

/** 033's rule, for down(). */
const BLANK_033 = String.raw`'^[\s\u00a0\u3000\u200b-\u200d\u2060\ufeff]*$'`;

const NOT_SHOWN = '（空格、控制字符和不可见字符不算）';

const groundsFunction = (pinned: string, shows: (value: string) => string, notShown: string) => `
  CREATE OR REPLACE FUNCTION procedure_grounds(p_basis text, p_reason text, p_operator text) RETURNS void
  LANGUAGE plpgsql ${pinned} AS $$
  BEGIN
    IF NOT ${shows('p_basis')} THEN
      RAISE EXCEPTION '法定程序必须注明法律依据（文号）：请用 --basis 填写${notShown}' USING ERRCODE = 'check_violation';
    END IF;
    IF NOT ${shows('p_reason')} THEN
      RAISE EXCEPTION '法定程序必须注明理由：请用 --reason 填写${notShown}' USING ERRCODE = 'check_violation';
    END IF;
    IF NOT ${shows('p_operator')} THEN
      RAISE EXCEPTION '法定程序必须注明经办人：请用 --operator 填写${notShown}' USING ERRCODE = 'check_violation';
    END IF;
  END $$;`;

export async function up(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '051-grounds-visible');
  await knex.raw(groundsFunction(pinned, visible, NOT_SHOWN));
  await knex.raw(`
    ALTER TABLE procedure_log ADD CONSTRAINT procedure_log_grounds_visible
      CHECK (${visible('basis')} AND ${visible('reason')} AND ${visible('operator')}) NOT VALID;
    ALTER TABLE unmask_views ADD CONSTRAINT unmask_views_reason_visible
      CHECK (reason IS NULL OR ${visible('reason')}) NOT VALID;
    ALTER TABLE unmask_views ADD CONSTRAINT unmask_views_cli_user_visible
      CHECK (cli_user IS NULL OR ${visible('cli_user')}) NOT VALID;
  `);
}

export async function down(knex: Knex): Promise<void> {
  const pinned = await pinnedSearchPath(knex, '051-grounds-visible');
  await knex.raw(`
    ALTER TABLE unmask_views DROP CONSTRAINT unmask_views_cli_user_visible;
    ALTER TABLE unmask_views DROP CONSTRAINT unmask_views_reason_visible;
    ALTER TABLE procedure_log DROP CONSTRAINT procedure_log_grounds_visible;
  `);
  await knex.raw(groundsFunction(pinned, (value) => `coalesce(${value}, '') !~ ${BLANK_033}`, ''));
}
