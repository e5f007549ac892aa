/**
 * Issue 18 attacked as a hostile user would: BuildKit sessions on the real engine, with
 * secrets and ssh, interrupted, starved and fed bad input. Each test is a defect that was
 * found (and fixed) or an attack that held.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempProject } from '../helpers/temp-project.js';
import { spawnCli } from '../helpers/run-cli.js';

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
const ENGINE_SOCKET = '/var/run/docker.sock';
const cleanups: (() => unknown)[] = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A project in a temp folder: `files` written, its images removed afterwards. */
function project(label: string, files: (name: string) => Record<string, string>): { name: string; dir: string } {
  const p = tempProject(label, files, 'mbt-hostile-');
  cleanups.push(() => p.cleanup());
  return p;
}

/**
 * A unix socket in front of the real engine that never answers `POST /session` (a daemon
 * that hangs): every other connection is spliced through. `dials` counts the session requests.
 */
async function hangingSessions(): Promise<{ url: string; dials: () => number; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'mbt-hang-'));
  const path = join(dir, 'docker.sock');
  const sockets = new Set<Socket>();
  let dials = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.once('data', (first: Buffer) => {
      if (/^POST \S*\/session/.test(first.toString('latin1'))) {
        dials++;
        return;
      }
      const up = createConnection(ENGINE_SOCKET, () => {
        up.write(first);
        up.pipe(client);
        client.pipe(up);
      });
      sockets.add(up);
      up.on('error', () => client.destroy());
      client.on('close', () => up.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    url: `unix://${path}`,
    dials: () => dials,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const tokenProject = (label: string, run = 'cat /run/secrets/token') =>
  project(label, (name) => ({
    'mbuild.yaml': [
      'version: 1',
      `name: ${name}`,
      'images:',
      '  app:',
      '    network: none',
      `    tags: ["${name}/app:1"]`,
      '    secrets: {token: {env: TOKEN}}',
      '',
    ].join('\n'),
    Dockerfile: ['FROM busybox', `RUN --mount=type=secret,id=token echo ${name} && ${run}`, ''].join('\n'),
  }));

describe('interrupted', () => {
  it('Ctrl-C while the daemon has not answered POST /session: exit 130 at once, no second Ctrl-C needed', async () => {
    const hang = await hangingSessions();
    cleanups.push(() => hang.close());
    const p = tokenProject('hang');
    const cli = spawnCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { TOKEN, DOCKER_HOST: hang.url } });
    await expect.poll(() => hang.dials(), { timeout: 20_000, interval: 20 }).toBe(1);
    process.kill(-cli.child.pid!, 'SIGINT');
    const timer = setTimeout(() => process.kill(-cli.child.pid!, 'SIGKILL'), 10_000);
    const run = await cli.done;
    clearTimeout(timer);
    expect(run.code).toBe(130);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });
});

describe('two runs at once', () => {
  it('a step BuildKit runs once for both prints the secret masked in both outputs', async () => {
    const p = tokenProject('twice', 'cat /run/secrets/token && echo && sleep 2');
    const up = () => spawnCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { TOKEN } }).done;
    const runs = await Promise.all([up(), up()]);
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(TOKEN);
    }
    // One of them ran the step and printed it (masked); the other may have shared it.
    expect(runs.map((r) => r.stdout).join('')).toContain('****');
  });
});

describe('ssh key files', () => {
  it('a key file ssh-add refuses: the reason is said, not the first line of its warning banner', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mbt-hostile-key-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const open = join(dir, 'open_key');
    writeFileSync(open, 'not a key\n', { mode: 0o644 });
    const bogus = join(dir, 'bogus_key');
    writeFileSync(bogus, 'not a key\n', { mode: 0o600 });
    const { startPrivateAgent } = await import('../../src/session/private-agent.js');
    const tooOpen = await startPrivateAgent([open]);
    expect(tooOpen.ok ? '' : tooOpen.error).toMatch(/Permissions 0644 for .*open_key.* are too open/);
    const notKey = await startPrivateAgent([bogus]);
    expect(notKey.ok ? '' : notKey.error).toMatch(/Error loading key .*bogus_key/);
  });
});

describe('left as it is', () => {
  /*
   * Defect left: BuildKit runs one vertex for identical steps of builds running at the same
   * time, and asks any of their sessions for its secrets and ssh agents (session.Group). Two
   * images with the same `RUN --mount=type=ssh,required=true ...` line, one declaring
   * `ssh: [default=k1]` and the other nothing usable, both get k1 (seen by hand: ssh-add -l
   * in the second image listed k1's keys). The same holds for a secret id one image declares
   * and the other does not, and, through the build cache, for any later build of that line.
   * session/pool.ts says "an image never receives a secret it did not declare": true of what
   * mbuild serves, not of what BuildKit shares. Fixing it would need the steps to differ per
   * set of needs (the LLB is the Dockerfile frontend's) or such builds not to overlap.
   */
  it.skip('an image does not get the ssh keys of another image building the same step at the same time', () => undefined);
});
