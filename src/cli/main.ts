/**
 * The CLI edge: parses argv with commander, dispatches to a command, and maps the
 * outcome to an exit code (0 ok, 1 build failed, 2 invalid input or usage,
 * 130 interrupted). The one try/catch of the program lives here.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { configCommand } from './commands/config.js';
import { validateCommand } from './commands/validate.js';
import { ExitCode, processIo, type CliIo } from './io.js';
import type { GlobalOptions } from './load.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function buildProgram(io: CliIo, run: (code: Promise<ExitCode>) => void): Command {
  const program = new Command('mbuild')
    .description('Build whole graphs of Docker images from one declarative YAML file.')
    .version(VERSION, '-V, --version')
    .option('-f, --file <path>', 'build file (default: mbuild.yaml or mbuild.yml here or in the nearest parent)')
    .option('--var <NAME=VALUE>', 'set a variable, overriding the environment and vars (repeatable)', collect)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

  program
    .command('validate')
    .description('check the build file and print every problem, or one line saying it is valid')
    .action((_o, cmd: Command) => run(validateCommand(io, globals(cmd))));
  program
    .command('config')
    .description('print the fully resolved build file (interpolated, extends and defaults applied)')
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action((o: { format: string }, cmd: Command) => run(configCommand(io, { ...globals(cmd), format: o.format })));
  return program;
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let pending: Promise<ExitCode> | undefined;
  const program = buildProgram(io, (p) => {
    pending = p;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (pending === undefined) {
      program.outputHelp({ error: true });
      return ExitCode.invalid;
    }
    return await pending;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? ExitCode.ok : ExitCode.invalid;
    }
    io.stderr.write(`mbuild: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n` +
      'This is a bug in mbuild; please report it with the command you ran.\n');
    return ExitCode.failed;
  }
}
