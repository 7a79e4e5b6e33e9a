/** The problems a configuration is refused for, as `ConfigError` lists them. */
import { ConfigError } from '../../src/errors.ts';

/** The problems `action` throws; fails the test when it accepts the configuration. */
export function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
