import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { readProjectFile, sectionOf, tableRows } from './support/markdown.ts';
import type { CommandTree } from './support/print-command-tree.ts';
import { startCli } from './support/run-cli.ts';

/**
 * The project rule: "Keep the README true: the two set-up commands, every command, every config variable".
 * The commands and options are read from the real CLI's own definitions (the program `bin/credit-etl.js` builds),
 * the variables from the code that reads them.
 */

/** Every command the CLI defines, groups expanded (`report notice`), with the long options of each. */
async function cliCommands(): Promise<Map<string, string[]>> {
  const hook = path.join(PROJECT_ROOT, 'test/support/print-command-tree.ts');
  const { code, stdout, stderr } = await startCli([], {}, { nodeArgs: ['--import', 'tsx', '--import', hook] })
    .result;
  expect(code, stderr).toBe(0);
  const commands = new Map<string, string[]>();
  const walk = (tree: CommandTree, prefix: string[]) => {
    for (const command of tree.commands) {
      const name = [...prefix, command.name];
      if (command.commands.length === 0) commands.set(name.join(' '), command.options);
      else walk(command, name);
    }
  };
  walk(JSON.parse(stdout) as CommandTree, []);
  return commands;
}

/** The commands a page's table names in its first column, each with the options written beside it. */
function documentedCommands(page: string, heading: string, groups: Set<string>): Map<string, string[]> {
  const documented = new Map<string, string[]>();
  for (const [first = ''] of tableRows(sectionOf(readProjectFile(page), heading))) {
    let group: string | undefined;
    for (const [, span = ''] of first.matchAll(/`([^`]+)`/g)) {
      const words = span.split(/\s+/);
      const head = words[0]!;
      let command: string;
      if (groups.has(head)) [group, command] = [head, `${head} ${words[1]}`];
      else if (group !== undefined && !head.startsWith('-')) command = `${group} ${head}`;
      else command = head;
      const options = span.match(/--[a-z][a-z-]*/g) ?? [];
      documented.set(command, [...(documented.get(command) ?? []), ...options]);
    }
  }
  return documented;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, directory), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Every environment variable of credit-etl the code mentions: `CREDIT_ETL_*` and the servers' URLs. */
function variablesInCode(): Set<string> {
  const files = ['src', 'connectors', 'bench', 'bin', 'test'].flatMap(sourceFiles);
  files.push(path.join(PROJECT_ROOT, 'vitest.config.ts'));
  const names = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [name] of text.matchAll(
      /\b(?:CREDIT_ETL_[A-Z0-9_]*[A-Z0-9]|(?:TEST_)?DATABASE_URL|TEST_[A-Z]+_URL)\b/g,
    )) {
      names.add(name);
    }
  }
  return names;
}

function variablesInTable(page: string): Set<string> {
  const names = tableRows(readProjectFile(page))
    .map(([first = '']) => /^`([A-Z][A-Z0-9_]+)`$/.exec(first)?.[1])
    .filter((name): name is string => name !== undefined);
  return new Set(names);
}

/** Where the command tables are: the README's short one, the reference's full one. */
const COMMAND_TABLES = [
  ['README.md', '## Commands'],
  ['docs/commands.md', '## Every command'],
] as const;

describe('the handbook names every command and option of the CLI', () => {
  it('README.md and docs/commands.md list exactly the commands `credit-etl --help` shows, with real options', async () => {
    const cli = await cliCommands();
    const groups = new Set(
      [...cli.keys()].filter((name) => name.includes(' ')).map((name) => name.split(' ')[0]!),
    );
    for (const [page, heading] of COMMAND_TABLES) {
      const documented = documentedCommands(page, heading, groups);
      expect([...documented.keys()].sort(), `${page}: the commands of its table`).toEqual(
        [...cli.keys()].sort(),
      );
      for (const [command, options] of documented) {
        const unknown = options.filter((option) => !cli.get(command)!.includes(option));
        expect(unknown, `${page}: options of ${command} that \`credit-etl ${command} --help\` lacks`).toEqual(
          [],
        );
      }
    }
    // The reference gives every option, not a selection.
    const reference = documentedCommands(...COMMAND_TABLES[1], groups);
    for (const [command, options] of cli) {
      const missing = options.filter((option) => !reference.get(command)!.includes(option));
      expect(missing, `docs/commands.md: options of ${command} it does not give`).toEqual([]);
    }
  });
});

describe('the handbook names every configuration variable', () => {
  const inCode = variablesInCode();

  it('finds the variables the code reads (the search itself works)', () => {
    expect(inCode).toContain('DATABASE_URL');
    expect(inCode).toContain('CREDIT_ETL_MAX_CELL_BYTES');
    expect(inCode).toContain('CREDIT_ETL_HOLIDAYS_FILE');
  });

  for (const page of ['README.md', 'docs/configuration.md']) {
    it(`${page}: its variable table names each variable the code reads, and no other`, () => {
      expect([...variablesInTable(page)].sort()).toEqual([...inCode].sort());
    });
  }
});
