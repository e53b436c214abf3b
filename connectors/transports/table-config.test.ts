import { describe, expect, it } from 'vitest';
import { TransportError } from './retry-with-backoff.ts';
import { checkIdentifier } from './table-config.ts';
import { parseDatabaseTime } from './table-source.ts';

describe('table identifiers from config', () => {
  it.each(['xzcf_out', 'exchange.xzcf_out', '行政处罚_交换', 'CF_WSH'])('accepts %s', (name) => {
    expect(checkIdentifier(name, 'table')).toBe(name);
  });
  it.each(['a;b', 'a b', '"x"', 'a.b.c', '1abc', "x'--", 'x`y', ''])('refuses %j', (name) => {
    expect(() => checkIdentifier(name, 'table')).toThrow(TransportError);
  });
});

describe('database time text', () => {
  it('keeps the zone a database gives and applies the configured one otherwise', () => {
    expect(parseDatabaseTime('2026-11-20 10:00:00.123456+08', '+08:00')?.toISOString()).toBe(
      '2026-11-20T02:00:00.123Z',
    );
    expect(parseDatabaseTime('2026-11-20 10:00:00', '+08:00')?.toISOString()).toBe(
      '2026-11-20T02:00:00.000Z',
    );
    expect(parseDatabaseTime('2026-11-20T02:00:00Z', '+08:00')?.toISOString()).toBe(
      '2026-11-20T02:00:00.000Z',
    );
    expect(parseDatabaseTime('yesterday', '+08:00')).toBeUndefined();
  });
});
