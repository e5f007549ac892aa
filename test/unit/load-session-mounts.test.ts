/** A Dockerfile's secret and ssh mounts that its image does not declare: a warning at the Dockerfile's line (issue 18). */
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/load/load-plan.js';
import { sessionMounts } from '../../src/dockerfile/session-mounts.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { position } from '../../src/report/diagnostic-printer.js';
import { join } from 'node:path';
import { testdir } from '../helpers/testdir.js';
import { listenSocket } from '../helpers/unix-socket.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});

const DOCKERFILE = [
  'FROM busybox AS deps',
  'RUN --mount=type=secret,id=npm_token cat /run/secrets/npm_token',
  'RUN --mount=type=secret,target=/root/.netrc true',
  'RUN --mount=type=ssh true',
  'FROM busybox',
  'RUN --mount=type=ssh,id=github --mount=type=secret,id=undeclared,required=true true',
  'RUN --mount=type=secret,id=$ARG --mount=type=cache,target=/c --mount=type=bind,source=x,target=/x true',
  '',
].join('\n');

describe('session mounts of a Dockerfile', () => {
  it('finds secret ids (target basename by default) and ssh ids (default by default), not what holds $', () => {
    expect(sessionMounts(parseDockerfile(DOCKERFILE)).map((m) => `${m.line} ${m.kind} ${m.id}`)).toEqual([
      '2 secret npm_token',
      '3 secret .netrc',
      '4 ssh default',
      '6 ssh github',
      '6 secret undeclared',
    ]);
  });

  it('warns at the Dockerfile line of each one the image does not declare', async () => {
    const t = testdir({
      'mbuild.yaml': 'version: 1\nname: p\nimages:\n  app:\n    secrets: {npm_token: {env: T}, .netrc: {env: T}}\n    ssh: [github]\n',
      Dockerfile: DOCKERFILE,
      x: '',
    });
    cleanups.push(t.cleanup);
    const close = await listenSocket(join(t.dir, 'agent.sock'));
    cleanups.push(() => void close());
    const r = await loadPlan({ cwd: t.dir, env: { T: 'v', SSH_AUTH_SOCK: join(t.dir, 'agent.sock') } }, 'all');
    if (!r.ok) throw new Error(r.error.diagnostics.map((d) => d.message).join('\n'));
    expect(
      r.value.diagnostics.map((d) => {
        const { line, column } = position(d.location!.file, d.location!.range.offset);
        return `${d.location!.file.path === `${t.dir}/Dockerfile` ? 'Dockerfile' : d.location!.file.path}:${line}:${column} ${d.severity} ${d.message}`;
      }),
    ).toEqual([
      "Dockerfile:4:5 warning image 'app' forwards no ssh 'default': add ssh: [default] (the agent at $SSH_AUTH_SOCK) or default=PATH; the build will not get it",
      "Dockerfile:6:32 warning image 'app' declares no secret 'undeclared': add it under secrets: (e.g. undeclared: {env: VARIABLE} or {file: PATH}); the build will not get it",
    ]);
  });
});
