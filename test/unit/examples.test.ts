/** Every build file under examples/ validates and plans, also under another `--var TAG`. */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/run-cli.js';

const examples = readdirSync(join(REPO, 'examples')).filter((d) => existsSync(join(REPO, 'examples', d, 'mbuild.yaml')));

/** What an example takes from the environment, as its README says (placeholders: nothing is built). */
const ENV: Readonly<Record<string, Record<string, string>>> = {
  'private-deps': {
    NPM_TOKEN: 'placeholder',
    NPM_REGISTRY: 'https://npm.acme.example/',
    LIB_GIT_URL: 'ssh://git@git.acme.example/acme/lib.git',
    GIT_KNOWN_HOSTS: 'git.acme.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlaceholder',
    SSH_AUTH_SOCK: '', // a socket (validate checks that one is there), made below
  },
};

/** A unix socket standing in for an SSH agent: validate only checks that $SSH_AUTH_SOCK is one. */
let socketDir: string;
let socket: Server;
beforeAll(async () => {
  socketDir = mkdtempSync(join(tmpdir(), 'mbt-examples-'));
  const path = join(socketDir, 'agent.sock');
  socket = createServer();
  await new Promise<void>((resolve) => socket.listen(path, resolve));
  ENV['private-deps']!['SSH_AUTH_SOCK'] = path;
});
afterAll(async () => {
  await new Promise((resolve) => socket.close(resolve));
  rmSync(socketDir, { recursive: true, force: true });
});

describe('examples', () => {
  it('there is at least one', () => expect(examples.length).toBeGreaterThan(0));
  for (const name of examples) {
    it(`${name} validates and plans`, async () => {
      const dir = join(REPO, 'examples', name);
      const env = ENV[name] ?? {};
      const validate = await runCli(['validate'], { cwd: dir, env });
      // Notes only (how a name such as `FROM base` is read): no error, no warning.
      expect(validate.stderr).not.toMatch(/error:|warning:/);
      expect(validate.code).toBe(0);
      expect(validate.stdout).toMatch(/^mbuild\.yaml is valid: \d+ images/);
      const plan = await runCli(['plan', '--format', 'json'], { cwd: dir, env });
      expect(plan.code).toBe(0);
      expect((JSON.parse(plan.stdout) as { images: unknown[] }).images.length).toBeGreaterThanOrEqual(1);
    });
  }

  it('private-deps: without its environment, validate names every variable it needs, at its line', async () => {
    const r = await runCli(['validate'], { cwd: join(REPO, 'examples', 'private-deps'), env: {} });
    expect(r.code).toBe(2);
    for (const name of ['NPM_REGISTRY', 'LIB_GIT_URL', 'GIT_KNOWN_HOSTS'])
      expect(r.stderr).toMatch(new RegExp(`^mbuild\\.yaml:\\d+:\\d+: error: variable '${name}' is required`, 'm'));
    const noSecrets = await runCli(['validate'], {
      cwd: join(REPO, 'examples', 'private-deps'),
      env: { ...ENV['private-deps'], NPM_TOKEN: undefined, SSH_AUTH_SOCK: undefined },
    });
    expect(noSecrets.code).toBe(2);
    expect(noSecrets.stderr).toMatch(/^mbuild\.yaml:\d+:\d+: error: secret 'npm_token': environment variable NPM_TOKEN is not set/m);
    expect(noSecrets.stderr).toMatch(/^mbuild\.yaml:\d+:\d+: error: ssh 'default' forwards the SSH agent at \$SSH_AUTH_SOCK, which is not set/m);
  });

  it('shop: under any --var TAG, every image built on base waits for base', async () => {
    const dir = join(REPO, 'examples', 'shop');
    for (const tag of ['dev', 'v2', 'x.y-z']) {
      const validate = await runCli(['validate', '--var', `TAG=${tag}`], { cwd: dir, env: {} });
      expect({ tag, code: validate.code, problems: /error:|warning:/.test(validate.stderr) }).toEqual({ tag, code: 0, problems: false });
      const plan = await runCli(['plan', '--format', 'json', '--var', `TAG=${tag}`], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
      const images = (JSON.parse(plan.stdout) as { images: { name: string; dependsOn: { image: string }[] }[] }).images;
      const onBase = images
        .filter((i) => i.dependsOn.some((e) => e.image === 'base'))
        .map((i) => i.name)
        .sort();
      expect({ tag, onBase }).toEqual({ tag, onBase: ['api', 'site', 'slim', 'tools', 'web', 'worker'] });
    }
  });
});
