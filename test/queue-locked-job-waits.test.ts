import { describe, expect, it } from 'vitest';
import { lockedJobWaits } from '../src/queue/pipeline-run-job.ts';

// What a worker's job of a locked pipeline says as it is put back (`jobs show`, the worker's log). The queue counts
// no attempt either way (deferActiveJob sets back the count pg-boss adds at fetch); when the lock was taken after
// the job's run lost its session, that run is stored `failed` with what it loaded, and the message says so.
describe('a locked pipeline-run job says what it did before it waits', () => {
  it('locked from the start: nothing started, tried again, no attempt counted', () => {
    expect(lockedJobWaits('bf', 5)).toBe(
      "waits for pipeline bf's lock (a run of it is going on in another process): tried again in 5 s, no attempt counted",
    );
  });

  it('locked after its session was lost: the run it stored failed and the files it loaded are named', () => {
    const message = lockedJobWaits('bf', 30, {
      attempt: 1,
      runs: [{ id: 41, status: 'failed', loadedFiles: 1 }],
    });
    expect(message).toBe(
      "waits for pipeline bf's lock, which another process took after this job's database session was lost " +
        '(run 41, stored failed, loaded 1 file): tried again in 30 s, no attempt counted (its runs stay as ' +
        'stored; the next attempt loads what they left)',
    );
    expect(message).not.toMatch(/a run of it is going on/);
  });

  it('locked after its session was lost, its runs unreadable or none: said so', () => {
    expect(lockedJobWaits('bf', 5, { attempt: 1, runs: undefined })).toMatch(
      /\(what its runs had loaded could not be read \(runs list --pipeline bf\)\): tried again in 5 s/,
    );
    expect(lockedJobWaits('bf', 5, { attempt: 1, runs: [] })).toMatch(/\(it had started no run\)/);
  });
});
