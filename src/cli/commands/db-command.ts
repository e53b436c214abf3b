import type { Command } from 'commander';
import { appliedMigrations } from '../../warehouse/connect-warehouse.ts';
import { commandContext } from '../command-context.ts';
import { withWarehouse } from '../with-warehouse.ts';

export function registerDbCommand(program: Command): void {
  program
    .command('db')
    .description('warehouse administration')
    .command('migrate')
    .description('apply pending migrations (every command that opens the warehouse also does this first)')
    .action(async () => {
      const { config, logger } = commandContext();
      await withWarehouse(config, logger, async (warehouse) => {
        const applied = await appliedMigrations(warehouse);
        const where = config.databaseUrl
          ? 'DATABASE_URL'
          : `embedded PostgreSQL in ${config.embeddedDataDir}`;
        console.log(`warehouse schema up to date on ${where}:`);
        for (const migration of applied) console.log(`  ${migration.name}`);
      });
    });
}
