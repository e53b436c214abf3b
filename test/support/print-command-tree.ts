// Preloaded into a CLI process by tests (`node --import tsx --import <this file> bin/credit-etl.js`): instead of
// running a command, the CLI prints every command it defines, with its options, as JSON, and exits 0. One process
// answers for the whole tree (a `--help` per command would start the CLI some thirty times).
import { Command } from 'commander';

export interface CommandTree {
  name: string;
  /** Long option names, e.g. `--max-reject-rate`. */
  options: string[];
  commands: CommandTree[];
}

function treeOf(command: Command): CommandTree {
  return {
    name: command.name(),
    options: command.options
      .map((option) => option.long)
      .filter((long): long is string => long !== undefined),
    commands: command.commands.map(treeOf),
  };
}

Command.prototype.parseAsync = async function printTree(this: Command) {
  process.stdout.write(JSON.stringify(treeOf(this)));
  process.exit(0);
};
