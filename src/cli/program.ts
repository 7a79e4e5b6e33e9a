/**
 * The `guestpass` command line: one program, a group of subcommands per file under
 * `commands/` (listed in `commands/index.ts`). Parsing errors become exit code 2 with the
 * parser's message (and its "Did you mean …?"), a `CliError` its own code, anything else 1.
 */
import { Command, CommanderError } from 'commander';

import { commandGroups } from './commands/index.ts';
import { CliError, exitCodes, writeLine, type CliIo } from './io.ts';
import { packageVersion } from './version.ts';

export function buildProgram(io: CliIo): Command {
  const program = new Command('guestpass')
    .description('An OpenID Connect provider that verifies the recipients of secure links with an emailed one-time code.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();
  for (const register of commandGroups) register(program, io);
  // Every subcommand throws instead of exiting, and prints where the program prints.
  const configure = (command: Command) => {
    for (const child of command.commands) {
      child.exitOverride().showSuggestionAfterError().configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
      configure(child);
    }
  };
  configure(program);
  return program;
}

/** Runs one command line (without `node` and the script); resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp();
    return exitCodes.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCodes.ok;
  } catch (error) {
    return exitCodeFor(error, io);
  }
}

function exitCodeFor(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // --help and --version end "with an error" that is not one.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return exitCodes.ok;
    // A group called without its subcommand shows the group's help.
    if (error.code === 'commander.executeSubCommandAsync') return exitCodes.usage;
    return exitCodes.usage;
  }
  if (error instanceof CliError) {
    if (error.message) writeLine(io.stderr, `guestpass: ${error.message}`);
    return error.exitCode;
  }
  writeLine(io.stderr, `guestpass: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return exitCodes.failed;
}
