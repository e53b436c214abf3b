import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Transport } from '../../connectors/contracts.ts';
import { penaltyRows, pollAndIngest } from './penalty-delivery.ts';
import { openWarehouseFixture, type WarehouseFixture } from './warehouse-fixture.ts';

/** A transport over an empty source of its own, with the means to put deliveries into that source. */
export interface ContractSource {
  transport: Transport;
  /** Makes one complete delivery of these penalty rows (national header order). */
  deliver(rows: string[][]): Promise<void>;
  /** A delivery still being written; invisible to poll until `finish()`. Omit when the channel has none. */
  deliverIncomplete?(rows: string[][]): Promise<{ finish(): Promise<void> }>;
  /** Deliveries kept in the source after settle with this outcome. Omit when there is nothing to move. */
  settled?(outcome: 'loaded' | 'failed'): Promise<string[]>;
  /** Closes the transport (even if already closed) and the source. */
  close(): Promise<void>;
}

export interface ContractHarness {
  /** Names the suite and the test database. */
  label: string;
  open(fx: WarehouseFixture): Promise<ContractSource>;
}

/**
 * The connector contract every transport passes, in a few lines:
 * `describeTransportContract({ label: 'sftp', open: async (fx) => ({ transport, deliver, … }) })`.
 */
export function describeTransportContract(harness: ContractHarness): void {
  describe(`${harness.label} transport contract`, () => {
    let fx: WarehouseFixture;
    let source: ContractSource | undefined;
    let tag = 0;
    const open = async () => {
      source = await harness.open(fx);
      return source;
    };

    beforeAll(async () => {
      fx = await openWarehouseFixture(`contract_${harness.label}`);
    });
    afterEach(async () => {
      await source?.close();
      source = undefined;
    });
    afterAll(async () => fx?.close());

    it('yields a complete delivery as units that load through ingestUnits, every row accounted for', async () => {
      const { transport, deliver } = await open();
      await deliver(penaltyRows(25, `c${++tag}`));
      const { units, summary } = await pollAndIngest(fx, transport);
      expect(units.length).toBeGreaterThan(0);
      for (const unit of units) {
        expect(unit.name).not.toBe('');
        expect(unit.receivedAt).toBeInstanceOf(Date);
        expect(Boolean(unit.open) || Boolean(unit.rows)).toBe(true);
      }
      expect(summary?.status).toBe('completed');
      expect(summary?.counts).toMatchObject({ read: 25, inserted: 25, rejected: 0 });
    });

    it('yields nothing already loaded: a second poll after a run finds no units', async () => {
      const { transport, deliver } = await open();
      await deliver(penaltyRows(10, `c${++tag}`));
      const first = await pollAndIngest(fx, transport);
      expect(first.summary?.counts.inserted).toBe(10);
      const second = await pollAndIngest(fx, transport);
      expect(second.units).toEqual([]);
    });

    // A page-based interface re-serves a page that gained rows, so only the new rows must end `inserted`.
    it('loads a later delivery without touching what earlier runs loaded', async () => {
      const { transport, deliver } = await open();
      await deliver(penaltyRows(6, `c${++tag}`));
      await pollAndIngest(fx, transport);
      await deliver(penaltyRows(4, `c${++tag}`));
      const { summary } = await pollAndIngest(fx, transport);
      expect(summary?.counts).toMatchObject({ inserted: 4, updated: 0, conflict: 0, rejected: 0 });
    });

    it('never yields a delivery that is still being written', async (context) => {
      const { transport, deliverIncomplete } = await open();
      if (!deliverIncomplete) return context.skip();
      const pending = await deliverIncomplete(penaltyRows(8, `c${++tag}`));
      expect((await pollAndIngest(fx, transport)).units).toEqual([]);
      await pending.finish();
      const { summary } = await pollAndIngest(fx, transport);
      expect(summary?.counts).toMatchObject({ read: 8, inserted: 8 });
    });

    it('settle moves a delivery aside and never deletes it', async (context) => {
      const { transport, deliver, settled } = await open();
      if (!settled) return context.skip();
      await deliver(penaltyRows(3, `c${++tag}`));
      const { units } = await pollAndIngest(fx, transport);
      expect(units.length).toBe(1);
      expect(await settled('loaded')).toHaveLength(1);
      expect(await settled('failed')).toEqual([]);
    });

    it('close ends the transport cleanly, and closing twice is harmless', async () => {
      const { transport } = await open();
      await transport.close();
      await transport.close();
    });
  });
}
