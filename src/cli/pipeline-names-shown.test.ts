import { describe, expect, it } from 'vitest';
import { UsageError } from './exit-codes.ts';
import { pipelineNameGiven } from './pipeline-names-shown.ts';

const FIRST = 'feed-370102197503090014';
const SECOND = 'feed-370102198001180014';
const GONE = 'feed-370102196001080014';
const MASKED = 'feed-3701**********0014';
const FILES = [SECOND, FIRST, 'plain'];

describe('pipelineNameGiven', () => {
  it('takes a real name, or the name as shown, for the pipeline the listings show under it', () => {
    expect(pipelineNameGiven(FIRST, FILES)).toEqual({ name: FIRST, shown: `${MASKED}~1` });
    expect(pipelineNameGiven(`${MASKED}~1`, FILES).name).toBe(FIRST);
    expect(pipelineNameGiven(`${MASKED}~2`, FILES).name).toBe(SECOND);
    expect(pipelineNameGiven('plain', FILES)).toEqual({ name: 'plain', shown: 'plain' });
    // One pipeline masking to the name: the name as shown, unnumbered; a removed one's runs after it.
    expect(pipelineNameGiven(MASKED, [FIRST], [GONE]).name).toBe(FIRST);
    expect(pipelineNameGiven(`${MASKED}~1`, [FIRST], [GONE]).name).toBe(GONE);
    expect(pipelineNameGiven(`${MASKED}~3`, FILES, [GONE]).name).toBe(GONE);
  });

  it('returns an unknown name without an ID as it is: the command says it is unknown', () => {
    expect(pipelineNameGiven('nowhere', FILES)).toEqual({ name: 'nowhere', shown: 'nowhere' });
  });

  it('refuses a masked name standing for two, or shown for none, naming the pipelines as shown', () => {
    expect(() => pipelineNameGiven(MASKED, FILES)).toThrow(
      new UsageError(
        `pipeline ${MASKED} stands for 2 pipelines whose names mask alike: give one of ${MASKED}~1, ${MASKED}~2 (credit-etl pipelines list)`,
      ),
    );
    expect(() => pipelineNameGiven(`${MASKED}~3`, FILES)).toThrow(
      `no pipeline is shown as ${MASKED}~3: pipelines shown alike are ${MASKED}~1, ${MASKED}~2 (`,
    );
    expect(() => pipelineNameGiven('feed-1101**********1729', FILES)).toThrow(
      'no pipeline is shown as feed-1101**********1729 (credit-etl pipelines list)',
    );
  });
});
