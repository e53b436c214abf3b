import { useCalendar } from '../calendar/working-days.ts';
import { type Config, loadConfig } from '../config/config.ts';
import { createLogger, type Logger } from '../log/logger.ts';

/** What every command starts from: validated config and the logger (JSON lines to file, readable console). */
export interface CommandContext {
  config: Config;
  logger: Logger;
}

let context: CommandContext | undefined;

export function commandContext(): CommandContext {
  if (!context) {
    const config = loadConfig();
    useCalendar(config.calendar);
    context = {
      config,
      logger: createLogger({ logFile: config.logFile, level: config.logLevel, console: true }),
    };
  }
  return context;
}
