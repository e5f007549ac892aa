/**
 * Between two builds of a chain mbuild asks the engine about the image just built once: the
 * inspect after its build (its size) also gives the images built FROM it what their keys read
 * of it (ENV, ONBUILD), from the run index's base facts; in a no-op, the inspect that finds it up to
 * date does the same. Counted at a proxy in front of the engine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startEngineProxy, type EngineProxy } from '../helpers/engine-proxy.js';
import { imageIdOf, outcomes, parseEvents } from '../helpers/engine-events.js';
import { runCli } from '../helpers/run-cli.js';
import { tempProject } from '../helpers/temp-project.js';

const project = tempProject('inspects', (name) => ({
  'mbuild.yaml': ['version: 1', `name: ${name}`, 'defaults:', '  network: none', 'images:', '  base: {context: base}', '  app: {context: app}', ''].join('\n'),
  'base/Dockerfile': 'FROM busybox\nRUN echo base > /base\n',
  'app/Dockerfile': 'FROM base\nRUN echo app > /app\n',
}));
let proxy: EngineProxy | undefined;
afterAll(async () => {
  await proxy?.close();
  expect(project.cleanup()).toEqual([]);
});

describe('inspects between two builds of a chain', () => {
  it.each(['classic', 'buildkit'])('%s: the image just built is inspected once, and its dependent still builds FROM it', async (builder) => {
    proxy ??= await startEngineProxy();
    const first = proxy.routes.length;
    const r = await runCli(['up', '--builder', builder, '--no-cache', '--progress', 'json'], {
      cwd: project.dir,
      env: { ...process.env, DOCKER_HOST: proxy.url },
    });
    expect(r.code, r.stderr).toBe(0);
    const events = parseEvents(r.stdout);
    const base = imageIdOf(events, 'base');
    const inspects = proxy.routes
      .slice(first)
      .filter((route) => route === `GET /images/${base}/json` || route === `GET /images/${encodeURIComponent(base)}/json`);
    expect(inspects).toHaveLength(1);
    expect(imageIdOf(events, 'app')).not.toBe(base);

    // A no-op: the inspect that finds the base up to date also gives its dependent's key what it reads of it.
    const again = proxy.routes.length;
    const noop = await runCli(['up', '--builder', builder, '--progress', 'json'], { cwd: project.dir, env: { ...process.env, DOCKER_HOST: proxy.url } });
    expect(noop.code, noop.stderr).toBe(0);
    expect(outcomes(parseEvents(noop.stdout))).toEqual({ base: 'up-to-date', app: 'up-to-date' });
    const noopInspects = proxy.routes
      .slice(again)
      .filter((route) => route === `GET /images/${base}/json` || route === `GET /images/${encodeURIComponent(base)}/json`);
    expect(noopInspects).toHaveLength(1);
  });
});
