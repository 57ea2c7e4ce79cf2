/** What every CLI command gets: the config (loaded once) and a uniform way to fail. */
import { loadConfig, type Config } from '../config/config.js';
import { configureLogger } from '../log.js';
import { useExecutionProviders } from '../util/execution-providers.js';
import { isPersonaError } from '../errors.js';

let config: Config | undefined;

export function cliConfig(): Config {
  if (!config) {
    config = loadConfig();
    // At a terminal, log lines are read by a person: one plain line each, not JSON.
    configureLogger(config.LOG_LEVEL, process.stderr.isTTY === true);
    useExecutionProviders(config.ORT_EXECUTION_PROVIDERS);
  }
  return config;
}

/**
 * Wraps a command action: a PersonaError prints its one-sentence message and exits 1;
 * anything else is a bug and prints the stack.
 */
export function action<Args extends unknown[]>(run: (...args: Args) => Promise<void> | void): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    try {
      await run(...args);
    } catch (error) {
      if (isPersonaError(error)) {
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = 1;
        return;
      }
      throw error;
    }
  };
}
