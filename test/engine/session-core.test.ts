/**
 * The BuildKit session (src/session/) against the real daemon, below the build file: a
 * secret served to a build, a secret not declared, the health checks that keep a session,
 * and closing: the daemon forgets the session (its id can be announced again).
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/docker/connect.js';
import type { BuildOutcome, BuildStreamEvent } from '../../src/docker/engine.js';
import { ok } from '../../src/core/result.js';
import { SessionPool } from '../../src/session/pool.js';
import { BuildSession } from '../../src/session/session.js';
import { health, HEALTH_CHECK } from '../../src/session/services.js';
import type { Method } from '../../src/session/grpc.js';
import { createHash } from 'node:crypto';
import { authHeader } from '../../src/registry/credentials.js';
import { startRegistry } from '../helpers/registry-server.mjs';

const RUN = `s${randomUUID().slice(0, 8)}`;
const LABEL = 'mbuild-test-session';
const engine = createEngine();
const SECRET = `tok-${randomUUID()}`;
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

function contextTar(files: Record<string, string>): Readable {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  return Readable.from(p);
}

async function build(body: string, session: string | undefined, tag?: string, o: { from?: string; pull?: boolean } = {}) {
  const events: BuildStreamEvent[] = [];
  const outcome: BuildOutcome = await engine.build(
    {
      context: contextTar({ Dockerfile: `FROM ${o.from ?? 'busybox'}\nLABEL ${LABEL}=${RUN}\n${body}\n` }),
      dockerfile: 'Dockerfile',
      builder: 'buildkit',
      buildId: `mbuild-test-${RUN}-${randomUUID()}`,
      buildArgs: {},
      labels: {},
      network: 'none',
      pull: o.pull ?? false,
      noCache: true,
      ...(session !== undefined && { session }),
    },
    { signal: new AbortController().signal, onEvent: (e) => events.push(e) },
  );
  if (tag !== undefined && outcome.kind === 'succeeded') await engine.tagImage(outcome.imageId, tag);
  return { outcome, events };
}

const pool = new SessionPool<string>(engine, { name: 'session-core', readSecret: (v) => ok(Buffer.from(v)), login: () => Promise.resolve(undefined) });
const needs = { secrets: [{ id: 'tok', source: SECRET }], ssh: [] };

afterAll(async () => {
  await pool.close();
  const ids = execFileSync('docker', ['image', 'ls', '-q', '--filter', `label=${LABEL}=${RUN}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) execFileSync('docker', ['image', 'rm', '-f', ...new Set(ids)], { stdio: 'ignore' });
});

describe('a BuildKit session on the real engine', () => {
  it('serves a declared secret to RUN --mount=type=secret, and the value stays out of the image and its history', async () => {
    const session = await pool.sessionFor(needs);
    expect(session.ok).toBe(true);
    const tag = `mbuild-test-session:${RUN}`;
    const { outcome } = await build(
      'RUN --mount=type=secret,id=tok,required=true sha256sum /run/secrets/tok | cut -d" " -f1 > /hash',
      session.ok ? session.value : '',
      tag,
    );
    expect(outcome.kind).toBe('succeeded');
    const hash = execFileSync('docker', ['run', '--rm', '--network', 'none', tag, 'cat', '/hash'], { encoding: 'utf8' }).trim();
    expect(hash).toBe(sha(SECRET));
    const history = execFileSync('docker', ['history', '--no-trunc', tag], { encoding: 'utf8' });
    expect(history).not.toContain(SECRET);
    const saved = execFileSync('docker', ['save', tag], { maxBuffer: 64 << 20 });
    expect(saved.includes(Buffer.from(SECRET))).toBe(false);
    expect(pool.redactor.redact(`echo ${SECRET}!`)).toBe('echo ****!');
  });

  it('answers "not found" for a secret the image did not declare', async () => {
    const session = await pool.sessionFor(needs);
    const { outcome } = await build('RUN --mount=type=secret,id=other,required=true cat /run/secrets/other', session.ok ? session.value : '');
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && outcome.message).toMatch(/secret other not found/);
  });

  it('images with the same needs share one session; other needs get their own', async () => {
    const a = await pool.sessionFor(needs);
    const b = await pool.sessionFor({ secrets: [{ id: 'tok', source: SECRET }], ssh: [] });
    const c = await pool.sessionFor({ secrets: [], ssh: [] });
    expect(a.ok && b.ok && c.ok).toBe(true);
    expect(a.ok && b.ok && a.value === b.value).toBe(true);
    expect(a.ok && c.ok && a.value !== c.value).toBe(true);
  });

  it('answers the health checks that keep the session, and once closed the daemon forgets it', async () => {
    let checks = 0;
    let third!: () => void;
    const thirdCheck = new Promise<void>((resolve) => (third = resolve));
    const counting: Method = {
      kind: 'unary',
      handle: (req, md) => (++checks === 3 && third(), health.handle(req, md)),
    };
    const session = await BuildSession.open(engine, { name: 'health', sharedKey: 'health', methods: new Map([[HEALTH_CHECK, counting]]) });
    await thirdCheck; // the daemon checks every second; a failed check would have dropped the session
    expect(session.open).toBe(true);
    expect((await build('RUN true', session.id)).outcome.kind).toBe('succeeded');
    // While it is open its id cannot be announced again.
    const again = () => engine.dialSession({ id: session.id, name: 'again', sharedKey: 'x', methods: [] });
    await expect(again()).rejects.toThrow(/already exists/);
    await session.close();
    expect(session.open).toBe(false);
    // Once the daemon has seen the connection end, the id is free again (waited for, not slept on).
    const deadline = Date.now() + 10_000;
    for (;;) {
      const stream = await again().catch((e: unknown) => (Date.now() < deadline ? undefined : Promise.reject(e)));
      if (stream !== undefined) {
        stream.destroy();
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
  });

  it('logs in to a private registry for FROM through the Auth service, with the credentials it is given', async () => {
    const user = { user: 'ci', password: `pw-${randomUUID()}` };
    const registry = await startRegistry({ auth: user });
    try {
      const repo = `${registry.host}/session/base`;
      const login = { username: user.user, password: user.password, serveraddress: registry.host };
      await engine.tagImage('busybox:latest', `${repo}:1`);
      await engine.pushImage(repo, '1', { auth: authHeader(login) });
      await engine.removeImage(`${repo}:1`);
      const hosts: string[] = [];
      const withLogin = new SessionPool<string>(engine, {
        name: 'auth',
        readSecret: () => ok(Buffer.alloc(0)),
        login: (host) => (hosts.push(host), Promise.resolve(host === registry.host ? login : undefined)),
      });
      const anonymous = new SessionPool<string>(engine, { name: 'anon', readSecret: () => ok(Buffer.alloc(0)), login: () => Promise.resolve(undefined) });
      try {
        const none = { secrets: [], ssh: [] };
        const a = await anonymous.sessionFor(none);
        const denied = await build('RUN true', a.ok ? a.value : '', undefined, { from: `${repo}:1`, pull: true });
        expect(denied.outcome.kind).toBe('failed');
        expect(denied.outcome.kind === 'failed' && denied.outcome.message).toMatch(/401|unauthorized|authorization/i);
        const s = await withLogin.sessionFor(none);
        const allowed = await build('RUN true', s.ok ? s.value : '', undefined, { from: `${repo}:1`, pull: true });
        expect(allowed.outcome.kind).toBe('succeeded');
        expect(hosts).toContain(registry.host);
        expect(JSON.stringify(allowed.events)).not.toContain(user.password);
      } finally {
        await Promise.all([withLogin.close(), anonymous.close()]);
      }
    } finally {
      await registry.stop();
    }
  });
});
