import { describe, expect, it } from 'vitest';
import { UnitFailure } from './unit-failure.ts';
import { unitSignals } from './withdrawal-signals.ts';

describe('withdrawal signals bound to a unit header', () => {
  const signals = {
    softDelete: { column: 'del_flag', values: ['1'] },
    status: { column: '当前状态', values: ['1', '撤销'], objection: ['2', '异议'] },
  };

  it('finds the columns as headers are compared, and reads what each row says', () => {
    const bound = unitSignals(signals, ['CF_WSH', 'DEL_FLAG', ' 当前 状态 '], {});
    expect([...bound.columns]).toEqual([1, 2]);
    expect(bound.read(['x', '0', '0'])).toBeUndefined();
    expect(bound.read(['x', '1', '0'])).toEqual({ kind: 'withdraw', text: 'DEL_FLAG=1' });
    expect(bound.read(['x', '0', ' 撤销 '])).toEqual({ kind: 'withdraw', text: ' 当前 状态 =撤销' });
    expect(bound.read(['x', '0', '２'])).toEqual({ kind: 'object', text: ' 当前 状态 =２' });
    // A soft-deleted row is withdrawn whatever its status says.
    expect(bound.read(['x', '1', '2'])?.kind).toBe('withdraw');
  });

  it('a declared soft-delete column missing fails the unit; a missing 当前状态 is no signal', () => {
    expect(() => unitSignals(signals, ['CF_WSH', '当前状态'])).toThrow(UnitFailure);
    expect(() => unitSignals(signals, ['CF_WSH', '当前状态'])).toThrow(/del_flag/);
    const statusOnly = unitSignals({ status: signals.status }, ['CF_WSH']);
    expect(statusOnly.columns.size).toBe(0);
    expect(statusOnly.read(['x'])).toBeUndefined();
  });

  it('a column renamed by the field mapping is found under either name', () => {
    const bound = unitSignals({ softDelete: { column: 'deleted', values: ['Y'] } }, ['sfsc'], {
      sfsc: 'deleted',
    });
    expect(bound.read(['y'])).toEqual({ kind: 'withdraw', text: 'sfsc=y' });
  });
});
