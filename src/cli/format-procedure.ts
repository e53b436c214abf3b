import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import type { RecordView } from '../records/record-view.ts';
import type { ProcedureEntry } from '../warehouse/procedure-log-repository.ts';

type Procedure = Omit<ProcedureEntry, 'prevHash' | 'hash'>;

const KIND_TITLES: Record<Procedure['kind'], string> = {
  correct: '更正 correct',
  withdraw: '撤销 withdraw',
  reattribute: '改变归属 reattribute',
  supersede: '取代 supersede',
  repair: '信用修复 repair',
};

/** What a procedure did, in a few words: which record, which version, which fields. */
export function procedureSummary(procedure: Procedure): string {
  const { before, after } = procedure;
  const fields = Object.keys(after.fields ?? before.fields ?? {});
  const changed = (fields.length ? `, fields ${fields.join(', ')}` : '') + versionDatesChanged(procedure);
  switch (procedure.kind) {
    case 'correct':
      return `record ${procedure.recordId}: v${before.version_no} → v${after.version_no}${changed}`;
    case 'withdraw':
      return `record ${procedure.recordId} withdrawn (last version v${before.version_no} kept)`;
    case 'supersede':
      return `record ${procedure.recordId} superseded by record ${procedure.otherRecordId}`;
    case 'reattribute':
      return `record ${procedure.recordId} (subject ${before.subject_code ?? '—'}) superseded by new record ${procedure.otherRecordId} (subject ${after.superseded_by_subject_code ?? '—'})${changed}`;
    case 'repair':
      return `record ${procedure.recordId}: public disclosure ended (was ${String(before.disclosure?.label ?? '?')}); record and v${before.version_no} kept`;
  }
}

/** Since 040 a correction's entry carries the version's formation date and catalog version on both sides. */
function versionDatesChanged({ before, after }: Procedure): string {
  const said: string[] = [];
  if ('formation_date' in after && before.formation_date !== after.formation_date)
    said.push(`formation date ${before.formation_date ?? '—'} → ${after.formation_date ?? '—'}`);
  if ('catalog_version' in after && before.catalog_version !== after.catalog_version)
    said.push(`catalog v${before.catalog_version ?? '?'} → v${after.catalog_version ?? '?'}`);
  return said.map((text) => `, ${text}`).join('');
}

/** `#3 2026-12-02 10:14:05 撤销 withdraw · basis … · reason … · by operator (db user)` */
export function procedureLine(procedure: Procedure): string {
  return (
    `#${procedure.id} ${shanghaiTime(procedure.performedAt)} ${KIND_TITLES[procedure.kind]} · ` +
    `依据 ${procedure.basis} · 理由 ${procedure.reason} · 经办 ${procedure.operator} (db ${procedure.dbUser})`
  );
}

/** The lines under a record's header that say it is no longer current, or what it replaced. */
export function recordStatusLines(view: RecordView): string[] {
  const lines: string[] = [];
  const by = view.retiredBy;
  if (view.status === 'withdrawn') {
    lines.push(`WITHDRAWN (撤销, no longer current, kept) by procedure ${by ? procedureLine(by) : '?'}`);
  }
  if (view.status === 'superseded') {
    const next = view.supersededBy;
    lines.push(
      `SUPERSEDED by record ${next?.id ?? '?'}${next ? ` (key ${next.key}, subject ${next.subjectCode ?? '—'})` : ''}: no longer current, kept`,
      `  by procedure ${by ? procedureLine(by) : '?'}`,
    );
  }
  for (const replaced of view.replaces) lines.push(`replaces record ${replaced} (superseded by this one)`);
  return lines;
}
