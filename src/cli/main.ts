/**
 * Command modules are imported when their command runs, so `mbuild validate` never loads
 * dockerode or listr2.
 *
 * The CLI edge: parses argv with commander, dispatches to a command, and maps the
 * outcome to an exit code (0 ok, 1 build failed, 2 invalid input or usage,
 * 130 interrupted): a command's failure is printed here (failure.ts). The one try/catch of
 * the program lives here.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { WatchOptions } from './commands/watch.js';
import type { BuilderKind } from '../docker/engine.js';
import { reportFailure, type CommandResult } from './failure.js';
import { envDefaults } from './env-defaults.js';
import { addHelp } from './help.js';
import { writeFailureEvent } from './json-failure.js';
import { ExitCode, processIo, type CliIo } from './io.js';
import type { GlobalOptions } from './load.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function buildProgram(io: CliIo, run: (result: Promise<CommandResult>) => void): Command {
  const program = new Command('mbuild')
    .description('Build whole graphs of Docker images from one declarative YAML file.')
    .version(VERSION, '-V, --version')
    .option('-f, --file <path>', 'build file (default: mbuild.yaml or mbuild.yml here or in the nearest parent)')
    .option('--var <NAME=VALUE>', 'set a variable, overriding the environment, env files and vars (repeatable)', collect)
    .option('--env-file <path>', 'read variables from this file instead of .env beside the build file (repeatable; later files win)', collect)
    .option(
      '-H, --host <url>',
      "Docker engine endpoint (default: DOCKER_HOST, else DOCKER_CONTEXT, else the docker CLI's current context, else the default socket)",
    )
    .option('-v, --verbose', 'say which Docker engine endpoint is used, and why')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

  program
    .command('init')
    .description('scaffold mbuild.yaml from the Dockerfiles below this folder (never replaces a build file)')
    .option('--dry-run', 'print the file instead of writing it')
    .option('--stdout', 'print the file instead of writing it (same as --dry-run)')
    .action((o: { dryRun?: boolean; stdout?: boolean }, cmd: Command) =>
      run(import('./commands/init.js').then((m) => m.initCommand(io, { ...globals(cmd), ...o }))),
    );
  program
    .command('schema')
    .description("print the build file's JSON Schema (for an editor: see the README), or with --events the --progress json events' schema")
    .option('--events', 'print schema/events.schema.json instead of schema/mbuild.schema.json')
    .action((o: { events?: boolean }) => run(import('./commands/schema.js').then((m) => m.schemaCommand(io, o))));
  program
    .command('validate')
    .description('check the build file and print every problem, or one line saying it is valid')
    .action((_o, cmd: Command) => run(import('./commands/validate.js').then((m) => m.validateCommand(io, globals(cmd)))));
  program
    .command('config')
    .description('print the fully resolved build file (interpolated, extends and defaults applied)')
    .addOption(
      new Option('--format <format>', 'output format (mbuild: a compose file converted to an mbuild.yaml)').choices(['yaml', 'json', 'mbuild']).default('yaml'),
    )
    .action((o: { format: string }, cmd: Command) =>
      run(import('./commands/config.js').then((m) => m.configCommand(io, { ...globals(cmd), format: o.format }))),
    );
  program
    .command('plan')
    .description('show the build order, the waves and the critical path, without building')
    .argument('[names...]', 'images or groups (default: the default group, or every image)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(builderOption())
    .action((names: string[], o: { format: string; builder: 'auto' | BuilderKind }, cmd: Command) =>
      run(import('./commands/plan.js').then((m) => m.planCommand(io, names, { ...globals(cmd), ...o }))),
    );
  program
    .command('why')
    .description('say why an image would be built: the input diff between now and its last build')
    .argument('<image>', 'an image of the build file')
    .addOption(builderOption())
    .action((image: string, o: { builder: 'auto' | BuilderKind }, cmd: Command) =>
      run(import('./commands/cache.js').then((m) => m.whyCommand(io, image, { ...globals(cmd), ...o }))),
    );
  program
    .command('clean')
    .description("remove this project's images that no current tag or cache key refers to, and the local state")
    .option('--dry-run', 'only list what would be removed')
    .option('--all', "also this checkout's current images, with the build file's tags on them (not those with other tags or used by a container)")
    .addOption(builderOption())
    .action((o: { builder: 'auto' | BuilderKind; dryRun?: boolean; all?: boolean }, cmd: Command) =>
      run(import('./commands/cache.js').then((m) => m.cleanCommand(io, { ...globals(cmd), ...o }))),
    );
  program
    .command('graph')
    .description('draw the image graph')
    .argument('[names...]', 'images or groups')
    .addOption(new Option('--format <format>', 'output format').choices(['dot', 'mermaid', 'json']).default('dot'))
    .action((names: string[], o: { format: string }, cmd: Command) =>
      run(import('./commands/plan.js').then((m) => m.graphCommand(io, names, { ...globals(cmd), format: o.format }))),
    );
  const buildOptions = (cmd: Command): Command =>
    cmd
      .argument('[names...]', 'images or groups (default: the default group, or every image)')
      .addOption(new Option('-j, --jobs <n>', 'builds at once').default(4).argParser(positiveInt))
      .addOption(builderOption())
      .addOption(
        new Option('--progress <mode>', 'progress output (default: BUILDKIT_PROGRESS, else auto)').choices(['auto', 'tty', 'plain', 'json']).default('auto'),
      )
      .option('-k, --keep-going', 'build everything not downstream of a failure')
      .option('--no-cache', "build every image, without the engine's layer cache")
      .option('--no-outputs', 'do not copy `outputs` to the host')
      .option(
        '--engine <spec>',
        'build on a pool of engines: ENDPOINT or docker context[,slots=N][,name=NAME], repeatable; the first is home (docs/pool.md)',
        collect,
      )
      .option('--tag-everywhere', 'with a pool: tag every image on every engine, not only on the home engine');
  type BuildFlags = Omit<WatchOptions, 'noCache' | 'noOutputs'> & { cache: boolean; outputs: boolean };
  const buildFlags = (o: BuildFlags, cmd: Command): WatchOptions => ({ ...globals(cmd), ...o, noCache: !o.cache, noOutputs: !o.outputs });
  buildOptions(program.command('up').description('build the selected images and everything they depend on'))
    .option('-q, --quiet', 'print only the image IDs, one per line (like docker build -q), and errors')
    .option('--push', "push every selected image's tags once it is built or up to date")
    .addOption(new Option('--push-jobs <n>', 'pushes at once').default(4).argParser(positiveInt))
    .option('--cache-to <repo>', 'store built images in this registry repository, tagged with their key (replaces cache.to)')
    .option('--cache-from <repo>', 'look for images in this registry repository before building (repeatable; adds to cache.from)', collect)
    .option('--metadata-file <file>', 'write what the run did per image (tags, image ID, pushed digests, why) as JSON (docs/metadata.md)')
    .action((names: string[], o: BuildFlags, cmd: Command) => run(import('./commands/up.js').then((m) => m.upCommand(io, names, buildFlags(o, cmd)))));
  buildOptions(program.command('watch').description('build, then rebuild exactly what your edits affect, until Ctrl-C'))
    .option('-q, --quiet', 'print only errors')
    .option('--poll', 'poll the file system instead of using inotify')
    .option('--on-rebuild <command>', 'run after each rebuilt image, with MBUILD_IMAGE, MBUILD_IMAGE_ID and MBUILD_TAGS set')
    .action((names: string[], o: BuildFlags, cmd: Command) => run(import('./commands/watch.js').then((m) => m.watchCommand(io, names, buildFlags(o, cmd)))));
  program
    .command('push')
    .description("push the selected images' tags as the engine has them, without building")
    .argument('[names...]', 'images or groups (default: the default group, or every image)')
    .addOption(new Option('--push-jobs <n>', 'pushes at once').default(4).argParser(positiveInt))
    .option('-q, --quiet', 'print only errors')
    .action((names: string[], o: { pushJobs: number; quiet?: boolean }, cmd: Command) =>
      run(import('./commands/push.js').then((m) => m.pushCommand(io, names, { ...globals(cmd), ...o }))),
    );
  program
    .command('context')
    .description('show what would be sent as the build context of IMAGE: sizes, largest folders, mounted entries')
    .argument('<image>', 'an image of the build file')
    .option('--why <path>', 'say which .dockerignore line includes or excludes PATH (relative to the context; ./PATH or /PATH: from here)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((image: string, o: { why?: string; format: string }, cmd: Command) =>
      run(import('./commands/context.js').then((m) => m.contextCommand(io, image, { ...globals(cmd), ...o }))),
    );
  addHelp(program);
  program.hook(
    'preAction',
    envDefaults(io.env, (s) => io.stderr.write(s)),
  );
  return program;
}

const builderOption = () =>
  new Option('--builder <kind>', 'builder (default: DOCKER_BUILDKIT=0 classic, =1 buildkit, else auto)')
    .choices(['auto', 'buildkit', 'classic'])
    .default('auto');

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let pending: Promise<CommandResult> | undefined;
  const program = buildProgram(io, (p) => {
    pending = p;
  });
  // `--progress json` (after BUILDKIT_PROGRESS): a failure before the run is an event too.
  const stream = { json: false };
  program.hook('preAction', (_p, cmd) => {
    const o = cmd.opts<{ progress?: string; quiet?: boolean }>();
    stream.json = o.progress === 'json' && o.quiet !== true;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (pending === undefined) {
      program.outputHelp({ error: true });
      return ExitCode.invalid;
    }
    const result = await pending;
    if (result.ok) return result.value;
    const code = reportFailure(io, result.error);
    if (stream.json) writeFailureEvent(io, result.error, code);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? ExitCode.ok : ExitCode.invalid;
    }
    io.stderr.write(
      `mbuild: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n` +
        'This is a bug in mbuild; please report it with the command you ran.\n',
    );
    return ExitCode.failed;
  }
}
