/**
 * A mount source read by several images (issue 23), on the real engine through a proxy
 * that counts requests: five images that mount src:/srv/data cost one temporary container
 * and one archive read, and each gets the same tree as src has; a source past the cap
 * (64 MiB) is read once per consumer, as before. Every temporary container is removed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEngineProxy, type EngineProxy } from '../helpers/engine-proxy.js';
import { runCli } from '../helpers/run-cli.js';
import { imageTree, mountsProject, type MountsProject } from './mounts-helpers.js';

let proxy: EngineProxy;
beforeAll(async () => {
  proxy = await startEngineProxy();
});
afterAll(async () => {
  await proxy.close();
});
const projects: MountsProject[] = [];
afterEach(() => {
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind').toEqual([]);
});

/** src fills /srv/data with `fill` (a shell command); `consumers` images mount it, each its own key. */
function project(label: string, fill: string, consumers: number): MountsProject {
  const yaml = ['version: 1', 'name: __NAME__', 'defaults: {network: none}', 'images:', '  src: {context: src}'];
  const tree: Record<string, string> = {
    'src/Dockerfile': `FROM busybox\nLABEL mbt.project=__NAME__\nRUN mkdir -p /srv/data/sub && ${fill}\n`,
  };
  for (let i = 0; i < consumers; i++) {
    yaml.push(`  c${i}:`, `    context: c${i}`, '    mounts:', '      - {from: src, path: /srv/data, to: mounted}');
    tree[`c${i}/Dockerfile`] = `FROM busybox\nLABEL mbt.project=__NAME__\nCOPY mounted/ /m/\nRUN echo c${i} > /built\n`;
  }
  tree['mbuild.yaml'] = `${yaml.join('\n')}\n`;
  const p = mountsProject(label, tree);
  projects.push(p);
  return p;
}

/** `mbuild up` through the proxy; the mount requests it made. */
async function up(p: MountsProject): Promise<{ creates: number; archives: number; removes: number }> {
  const before = proxy.routes.length;
  const r = await runCli(['up', '-j', '3', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env, DOCKER_HOST: proxy.url } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const routes = proxy.routes.slice(before);
  const count = (re: RegExp): number => routes.filter((route) => re.test(route)).length;
  return {
    creates: count(/^POST \/containers\/create$/),
    archives: count(/^GET \/containers\/[^/]+\/archive$/),
    removes: count(/^DELETE \/containers\/[^/]+$/),
  };
}

describe('a mount source read by several images', () => {
  it('is read once for five consumers, and each gets the same tree', async () => {
    const fill = [
      "printf 'hello' > /srv/data/a.txt",
      'head -c 300000 /dev/urandom > /srv/data/sub/r.bin',
      'ln -s a.txt /srv/data/link',
      'ln /srv/data/a.txt /srv/data/sub/hard',
      'chmod 600 /srv/data/sub/r.bin',
    ].join(' && ');
    const p = project('shared', fill, 5);
    const n = await up(p);
    expect(n).toEqual({ creates: 1, archives: 1, removes: 1 });
    const expected = imageTree(`${p.name}-src:latest`, '/srv/data');
    expect(expected).toContain('./sub/r.bin 600 file 300000');
    for (let i = 0; i < 5; i++) expect(imageTree(`${p.name}-c${i}:latest`, '/m'), `c${i}`).toEqual(expected);
  });

  it('past the cap (64 MiB), is read once per consumer', async () => {
    const p = project('cap', 'head -c 68157440 /dev/zero > /srv/data/zeros', 3);
    const n = await up(p);
    expect(n).toEqual({ creates: 3, archives: 3, removes: 3 });
    for (let i = 0; i < 3; i++) expect(imageTree(`${p.name}-c${i}:latest`, '/m'), `c${i}`).toEqual(['. 755 dir', './sub 755 dir', './zeros 644 file 68157440']);
  });
});
