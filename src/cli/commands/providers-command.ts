import type { Command } from 'commander';
import { loadProviders, providersFile } from '../../report/providers.ts';
import { formatTable } from '../format-table.ts';

/** `providers list`: the provider registry every `--provider` and pipeline is checked against. */
export function registerProvidersCommand(program: Command): void {
  const providers = program
    .command('providers')
    .description(`the provider registry (${providersFile()}): codes, names, levels, expected entries`);
  providers
    .command('list')
    .description(
      'every registered provider (报送单位) with its level and the catalog entries expected from it',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const registry = await loadProviders(providersFile());
      if (options.json) {
        console.log(JSON.stringify(registry));
        return;
      }
      console.log(
        formatTable(
          ['code', 'name', 'level', 'expected entries'],
          registry.map((p) => [p.code, p.name, p.level, p.expectedEntries.join(', ')]),
        ),
      );
    });
}
