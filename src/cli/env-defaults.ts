/**
 * Defaults the docker CLI takes from the environment, taken the same way when the flag is
 * not given: `BUILDKIT_PROGRESS` for `--progress` (plain, tty, auto; rawjson as json; quiet
 * as `-q`), `DOCKER_BUILDKIT` for `--builder` (a boolean as Go reads one: 0 classic, 1
 * BuildKit). A value that cannot be read is a usage error (exit 2), as docker makes it.
 */
import { CommanderError, type Command } from 'commander';
import { err, ok, type Result } from '../core/result.js';

type Env = Readonly<Record<string, string | undefined>>;

const PROGRESS: Readonly<Record<string, readonly [string, string]>> = {
  auto: ['progress', 'auto'],
  tty: ['progress', 'tty'],
  plain: ['progress', 'plain'],
  rawjson: ['progress', 'json'],
  json: ['progress', 'json'],
  quiet: ['quiet', 'true'],
};

/** Go's strconv.ParseBool. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The option (`progress` or `quiet`) and value BUILDKIT_PROGRESS stands for; nothing when it is unset or empty. */
export function progressFromEnv(value: string | undefined): Result<readonly [string, string] | undefined, string> {
  if (value === undefined || value === '') return ok(undefined);
  const mode = PROGRESS[value];
  return mode === undefined ? err(`BUILDKIT_PROGRESS=${value}: expected auto, tty, plain, quiet or rawjson`) : ok(mode);
}

/** The builder DOCKER_BUILDKIT asks for; nothing when it is unset or empty. */
export function builderFromEnv(value: string | undefined): Result<'buildkit' | 'classic' | undefined, string> {
  if (value === undefined || value === '') return ok(undefined);
  if (TRUE.has(value)) return ok('buildkit');
  if (FALSE.has(value)) return ok('classic');
  return err(`DOCKER_BUILDKIT=${value}: expected a boolean (1 for BuildKit, 0 for the classic builder)`);
}

const hasOption = (cmd: Command, name: string): boolean => cmd.options.some((o) => o.attributeName() === name);

/** Sets an option the command has, from the environment, unless the command line gave it. */
function setFromEnv(cmd: Command, name: string, value: string): void {
  if (!hasOption(cmd, name) || cmd.getOptionValueSource(name) === 'cli') return;
  cmd.setOptionValueWithSource(name, name === 'quiet' ? true : value, 'env');
}

/** A commander `preAction` hook: the environment's defaults for the command about to run. */
export const envDefaults =
  (env: Env, writeErr: (text: string) => void) =>
  (_program: Command, cmd: Command): void => {
    const refuse = (message: string): never => {
      writeErr(`error: ${message}\n`);
      throw new CommanderError(2, 'mbuild.env', message);
    };
    const progress = progressFromEnv(env['BUILDKIT_PROGRESS']);
    if (!progress.ok) refuse(progress.error);
    // `-q` given, or `--progress` given: BUILDKIT_PROGRESS says nothing more.
    else if (progress.value !== undefined && cmd.getOptionValueSource('progress') !== 'cli' && cmd.getOptionValueSource('quiet') !== 'cli') {
      setFromEnv(cmd, progress.value[0], progress.value[1]);
    }
    const builder = builderFromEnv(env['DOCKER_BUILDKIT']);
    if (!builder.ok) refuse(builder.error);
    else if (builder.value !== undefined) setFromEnv(cmd, 'builder', builder.value);
  };
