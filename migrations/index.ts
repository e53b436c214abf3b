import type { Knex } from 'knex';
import * as warehouse from './001-warehouse.ts';
import * as catalogEntries from './002-catalog-entries.ts';
import * as pipelines from './004-pipelines.ts';
import * as notices from './005-notices.ts';
import * as watermarks from './006-watermarks.ts';
import * as bulkIntegrity from './007-bulk-integrity.ts';
import * as pendingTimeliness from './008-pending-timeliness.ts';
import * as sameContent from './009-same-content.ts';
import * as roles from './010-roles.ts';
import * as versionChain from './011-version-chain.ts';
import * as legalProcedures from './012-legal-procedures.ts';
import * as objections from './013-objections.ts';
import * as creditRepair from './014-credit-repair.ts';
import * as providerWithdrawals from './015-provider-withdrawals.ts';
import * as noticeEvents from './016-notice-events.ts';
import * as compactLineage from './017-compact-lineage.ts';
import * as consoleUsers from './019-console-users.ts';
import * as consoleIndexes from './020-console-indexes.ts';
import * as queueJobs from './021-queue-jobs.ts';
import * as fileChunks from './022-file-chunks.ts';
import * as alerts from './023-alerts.ts';
import * as redeliveryFingerprints from './024-redelivery-fingerprints.ts';
import * as digestPlan from './025-digest-plan.ts';
import * as cacheWithoutForeignKey from './026-cache-without-foreign-key.ts';
import * as versionChainText from './027-version-chain-text.ts';
import * as recordsRoomForCorrections from './028-records-room-for-corrections.ts';
import * as keyPartsBesideSubject from './029-key-parts-beside-subject.ts';
import * as rejectionPagesInIdOrder from './030-rejection-pages-in-id-order.ts';
import * as correctionsStand from './031-corrections-stand.ts';
import * as objectionGuards from './032-objection-guards.ts';
import * as guardsWithoutLoopholes from './033-guards-without-loopholes.ts';
import * as recomputeLogged from './034-recompute-logged.ts';
import * as finishedRunsStay from './035-finished-runs-stay.ts';
import * as levelOnlyRises from './036-level-only-rises.ts';
import * as objectionRemedies from './037-objection-remedies.ts';
import * as objectionRemediesSinceRegistration from './038-objection-remedies-since-registration.ts';
import * as withdrawnByHolder from './039-withdrawn-by-holder.ts';
import * as proceduresOnTheVersionRead from './040-procedures-on-the-version-read.ts';
import * as filesStayTimesStamped from './041-files-stay-times-stamped.ts';
import * as objectionsWaitForWithdrawal from './042-objections-wait-for-withdrawal.ts';
import * as deliveryDigest from './043-delivery-digest.ts';
import * as unmaskReasons from './044-unmask-reasons.ts';
import * as recordDeliveredBy from './045-record-delivered-by.ts';
import * as recordsStayTimesStamped from './046-records-stay-times-stamped.ts';
import * as runLookups from './047-run-lookups.ts';
import * as recordDeliveredUnchanged from './048-record-delivered-unchanged.ts';
import * as unmaskViewsFromTheCli from './049-unmask-views-from-the-cli.ts';
import * as logChainsReadCommitted from './050-log-chains-read-committed.ts';
import * as groundsVisible from './051-grounds-visible.ts';
import * as sealedFilesTakeNothing from './052-sealed-files-take-nothing.ts';
import * as objectionTextVisible from './053-objection-text-visible.ts';
import * as procedureVersionsLogged from './054-procedure-versions-logged.ts';
import * as subjectStays from './055-subject-stays.ts';
import * as supersedeSameInformation from './056-supersede-same-information.ts';
import * as repairAfterSeverityRaise from './057-repair-after-severity-raise.ts';
import * as objectionOpenedWithItsStep from './058-objection-opened-with-its-step.ts';
import * as logHeadsRecordedByDatabase from './059-log-heads-recorded-by-database.ts';
import * as procedureInputsHold from './060-procedure-inputs-hold.ts';
import * as watermarksAndPasswordsInTheOpen from './061-watermarks-and-passwords-in-the-open.ts';
import * as refusedWithdrawalsByRecord from './062-refused-withdrawals-by-record.ts';

/** Every migration in order, listed by hand (no folder scanning); names are stored in knex_migrations. */
export const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: Knex.Migration]> = [
  ['001-warehouse', warehouse],
  ['002-catalog-entries', catalogEntries],
  ['004-pipelines', pipelines],
  ['005-notices', notices],
  ['006-watermarks', watermarks],
  ['007-bulk-integrity', bulkIntegrity],
  ['008-pending-timeliness', pendingTimeliness],
  ['009-same-content', sameContent],
  ['010-roles', roles],
  ['011-version-chain', versionChain],
  ['012-legal-procedures', legalProcedures],
  ['013-objections', objections],
  ['014-credit-repair', creditRepair],
  ['015-provider-withdrawals', providerWithdrawals],
  ['016-notice-events', noticeEvents],
  ['017-compact-lineage', compactLineage],
  ['019-console-users', consoleUsers],
  ['020-console-indexes', consoleIndexes],
  ['021-queue-jobs', queueJobs],
  ['022-file-chunks', fileChunks],
  ['023-alerts', alerts],
  ['024-redelivery-fingerprints', redeliveryFingerprints],
  ['025-digest-plan', digestPlan],
  ['026-cache-without-foreign-key', cacheWithoutForeignKey],
  ['027-version-chain-text', versionChainText],
  ['028-records-room-for-corrections', recordsRoomForCorrections],
  ['029-key-parts-beside-subject', keyPartsBesideSubject],
  ['030-rejection-pages-in-id-order', rejectionPagesInIdOrder],
  ['031-corrections-stand', correctionsStand],
  ['032-objection-guards', objectionGuards],
  ['033-guards-without-loopholes', guardsWithoutLoopholes],
  ['034-recompute-logged', recomputeLogged],
  ['035-finished-runs-stay', finishedRunsStay],
  ['036-level-only-rises', levelOnlyRises],
  ['037-objection-remedies', objectionRemedies],
  ['038-objection-remedies-since-registration', objectionRemediesSinceRegistration],
  ['039-withdrawn-by-holder', withdrawnByHolder],
  ['040-procedures-on-the-version-read', proceduresOnTheVersionRead],
  ['041-files-stay-times-stamped', filesStayTimesStamped],
  ['042-objections-wait-for-withdrawal', objectionsWaitForWithdrawal],
  ['043-delivery-digest', deliveryDigest],
  ['044-unmask-reasons', unmaskReasons],
  ['045-record-delivered-by', recordDeliveredBy],
  ['046-records-stay-times-stamped', recordsStayTimesStamped],
  ['047-run-lookups', runLookups],
  ['048-record-delivered-unchanged', recordDeliveredUnchanged],
  ['049-unmask-views-from-the-cli', unmaskViewsFromTheCli],
  ['050-log-chains-read-committed', logChainsReadCommitted],
  ['051-grounds-visible', groundsVisible],
  ['052-sealed-files-take-nothing', sealedFilesTakeNothing],
  ['053-objection-text-visible', objectionTextVisible],
  ['054-procedure-versions-logged', procedureVersionsLogged],
  ['055-subject-stays', subjectStays],
  ['056-supersede-same-information', supersedeSameInformation],
  ['057-repair-after-severity-raise', repairAfterSeverityRaise],
  ['058-objection-opened-with-its-step', objectionOpenedWithItsStep],
  ['059-log-heads-recorded-by-database', logHeadsRecordedByDatabase],
  ['060-procedure-inputs-hold', procedureInputsHold],
  ['061-watermarks-and-passwords-in-the-open', watermarksAndPasswordsInTheOpen],
  ['062-refused-withdrawals-by-record', refusedWithdrawalsByRecord],
];
