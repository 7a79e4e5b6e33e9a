/**
 * The one error the configuration has: invalid settings stop start-up, naming every bad field.
 * Shaped like jose's errors and the store's (`adapters/errors.ts`): `static code` and `code`
 * alike, `name` from the class. It lives here because config/ imports nothing of src/;
 * `src/errors.ts` re-exports it beside guestpass's other errors.
 */
export class ConfigError extends Error {
  static code = 'invalid_configuration' as const;
  readonly code = ConfigError.code;
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = new.target.name;
    this.problems = problems;
  }
}
