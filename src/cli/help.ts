/**
 * What `--help` says after the options: examples, and the environment variables mbuild
 * reads (test/unit/cli-help.test.ts checks that every variable the source reads is named).
 */
import type { Command } from 'commander';

/** Every environment variable mbuild reads, and what for. */
export const ENVIRONMENT: Readonly<Record<string, string>> = {
  DOCKER_HOST: 'the engine endpoint (unix://, tcp://, ssh://), unless -H is given',
  DOCKER_CONTEXT: "the docker context to use when DOCKER_HOST is not set, else the docker CLI's current one",
  DOCKER_CONFIG: "the docker CLI's config folder (contexts, registry credentials; default ~/.docker)",
  DOCKER_TLS_VERIFY: 'set: tcp:// endpoints use TLS and verify the engine (certificates from DOCKER_CERT_PATH)',
  DOCKER_TLS: 'set: tcp:// endpoints use TLS without verifying the engine',
  DOCKER_CERT_PATH: 'the folder of ca.pem, cert.pem and key.pem for TLS (default ~/.docker)',
  DOCKER_API_VERSION: 'the Engine API version to use instead of negotiating one',
  DOCKER_BUILDKIT: '0: the classic builder, 1: BuildKit, when --builder is not given (as the docker CLI)',
  BUILDKIT_PROGRESS: 'plain, tty, auto, quiet or rawjson (json): the progress output when --progress is not given',
  SSH_AUTH_SOCK: "the ssh agent: for ssh:// endpoints and an image's `ssh: [default]`",
  USER: 'the user name for ssh:// endpoints that name none',
  HOME: 'the home folder: ~ in the build file, ~/.docker',
  PATH: 'where docker-credential-* helpers and ssh-agent are found',
  CI: 'set (not "false"): plain progress lines instead of the terminal view',
  TERM: 'dumb: no colours, no terminal view',
  NO_COLOR: 'set: no colours',
  XDG_CACHE_HOME: 'where the start-up code cache is kept (mbuild/ in it; default ~/.cache)',
  MBUILD_ENGINES_FILE: 'the engines file naming a pool of engines, when no --engine is given (default $XDG_CONFIG_HOME/mbuild/engines.yaml)',
  XDG_CONFIG_HOME: 'where the engines file is looked for (mbuild/engines.yaml in it; default ~/.config)',
  MBUILD_REGISTRY_STALL_TIMEOUT: 'seconds a pull or push may show no progress before it fails, naming the registry (default 120; 0: no limit)',
  UV_THREADPOOL_SIZE: "Node's file-system threads: watch mode sizes its folder scans by it",
};

const ENGINE = [
  'DOCKER_HOST',
  'DOCKER_CONTEXT',
  'DOCKER_CONFIG',
  'DOCKER_TLS_VERIFY',
  'DOCKER_TLS',
  'DOCKER_CERT_PATH',
  'DOCKER_API_VERSION',
  'SSH_AUTH_SOCK',
  'USER',
];
const POOL = ['MBUILD_ENGINES_FILE', 'XDG_CONFIG_HOME'];
const BUILD = [...ENGINE, ...POOL, 'MBUILD_REGISTRY_STALL_TIMEOUT', 'DOCKER_BUILDKIT', 'BUILDKIT_PROGRESS', 'CI', 'TERM', 'NO_COLOR', 'PATH'];
const FILE = ['HOME', 'NO_COLOR', 'TERM'];

interface CommandHelp {
  readonly examples: readonly string[];
  readonly env: readonly string[];
}

export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  init: { examples: ['mbuild init', 'mbuild init --dry-run', 'mbuild -f services init'], env: [] },
  schema: { examples: ['mbuild schema > mbuild.schema.json', 'mbuild schema --events'], env: [] },
  validate: { examples: ['mbuild validate', 'mbuild -f ci/mbuild.yaml --var TAG=1.2 validate'], env: FILE },
  config: { examples: ['mbuild config', 'mbuild config --format json'], env: FILE },
  plan: { examples: ['mbuild plan', 'mbuild plan api --format json'], env: [...FILE, ...ENGINE, 'DOCKER_BUILDKIT'] },
  why: { examples: ['mbuild why api'], env: [...FILE, ...ENGINE, 'DOCKER_BUILDKIT'] },
  clean: { examples: ['mbuild clean --dry-run', 'mbuild clean --all'], env: [...FILE, ...ENGINE, 'DOCKER_BUILDKIT'] },
  graph: { examples: ['mbuild graph | dot -Tsvg > graph.svg', 'mbuild graph --format mermaid'], env: FILE },
  up: {
    examples: [
      'mbuild up',
      'mbuild up api worker -j 2',
      'mbuild up --progress json > events.ndjson',
      'ID=$(mbuild up -q api)',
      'mbuild up --push --metadata-file build.json',
      'mbuild up --engine unix:///var/run/docker.sock --engine ssh://ci@builder1,slots=2',
    ],
    env: [...FILE, ...BUILD],
  },
  watch: { examples: ['mbuild watch', "mbuild watch api --on-rebuild 'docker compose up -d api'"], env: [...FILE, ...BUILD, 'UV_THREADPOOL_SIZE'] },
  push: { examples: ['mbuild push', 'mbuild push api -q'], env: [...FILE, ...ENGINE, 'MBUILD_REGISTRY_STALL_TIMEOUT', 'PATH'] },
  context: { examples: ['mbuild context api', 'mbuild context api --why node_modules/x'], env: FILE },
};

const PROGRAM_EXAMPLES = ['mbuild init', 'mbuild validate', 'mbuild plan', 'mbuild up', 'mbuild -H ssh://me@host up --push', 'mbuild watch api'];

function section(examples: readonly string[], env: readonly string[]): string {
  const width = Math.max(0, ...env.map((n) => n.length));
  const lines = ['', 'Examples:', ...examples.map((e) => `  $ ${e}`)];
  if (env.length > 0) lines.push('', 'Environment:', ...env.map((n) => `  ${n.padEnd(width)}  ${ENVIRONMENT[n] ?? ''}`));
  return `${lines.join('\n')}\n`;
}

/** Adds the examples and the environment to the help of the program and of each of its commands. */
export function addHelp(program: Command): void {
  const all = [...Object.keys(ENVIRONMENT)];
  program.addHelpText('after', `${section(PROGRAM_EXAMPLES, all)}\n  Also: any variable a \${NAME} of the build file names.\n`);
  for (const cmd of program.commands) {
    const help = COMMAND_HELP[cmd.name()];
    if (help !== undefined) cmd.addHelpText('after', section(help.examples, [...new Set(help.env)]));
  }
}
