/**
 * The bundled example (a copy of examples/shop, with its own project name and repository
 * prefix) under `--var TAG=...` on the real engine: after base changes, a run under another
 * TAG builds tools only once base is built, from that new base, never from the image the
 * old tag still names. A Dockerfile that names base by a tag is refused at validate.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileInImage, removeProjectImages } from '../helpers/engine-docker.js';
import { intervals, outcomes, parseEvents } from '../helpers/engine-events.js';
import { uniqueName } from '../helpers/engine-project.js';
import { REPO, runCli } from '../helpers/run-cli.js';

const cleanups: (() => string[])[] = [];
afterEach(() => {
  const left = cleanups.splice(0).flatMap((c) => c());
  expect(left, 'images left behind').toEqual([]);
});

/** Every `shop/` repository and `name: shop` in the copied files names this copy's project instead (not `/etc/shop/`). */
function rename(dir: string, name: string): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (lstatSync(path).isDirectory()) rename(path, name);
    else if (entry === 'mbuild.yaml' || entry === 'Dockerfile') {
      writeFileSync(
        path,
        readFileSync(path, 'utf8')
          .replace(/(?<![\w/])shop\//g, `${name}/`)
          .replace(/^name: shop$/m, `name: ${name}`),
      );
    }
  }
}

function copyExample(): { dir: string; name: string } {
  const name = uniqueName('shop');
  const dir = mkdtempSync(join(tmpdir(), 'mbt-shop-'));
  cpSync(join(REPO, 'examples', 'shop'), dir, { recursive: true, filter: (src) => !/[/\\](dist|\.mbuild)$/.test(src) });
  rename(dir, name);
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
    return removeProjectImages(name);
  });
  return { dir, name };
}

describe('examples/shop under --var TAG', () => {
  it('a run under another TAG builds tools after base, from the new base', async () => {
    const { dir, name } = copyExample();
    const first = await runCli(['up', 'tools', '--no-outputs', '--progress', 'json'], { cwd: dir, env: process.env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    const marker = `edited ${randomBytes(6).toString('hex')}`;
    writeFileSync(join(dir, 'base', 'shop.conf'), `${marker}\n`);
    const validate = await runCli(['validate', '--var', 'TAG=v2'], { cwd: dir, env: {} });
    expect(validate.code, validate.stderr).toBe(0);
    // Notes only (how `FROM base` is read): no error, no warning.
    expect(validate.stderr).not.toMatch(/error:|warning:/);
    const second = await runCli(['up', 'tools', '--var', 'TAG=v2', '--no-outputs', '--progress', 'json'], { cwd: dir, env: process.env });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);

    const events = parseEvents(second.stdout);
    expect(outcomes(events)).toEqual({ base: 'built', tools: 'built' });
    const t = intervals(events);
    expect(t.get('tools')!.startIndex).toBeGreaterThan(t.get('base')!.endIndex);
    expect(fileInImage(`${name}/tools:v2`, '/etc/shop/shop.conf')).toBe(`${marker}\n`);
    // The old tag still names the old base: what a Dockerfile naming it by tag would have used.
    expect(fileInImage(`${name}/base:dev`, '/etc/shop/shop.conf')).not.toBe(`${marker}\n`);
  });

  it('validate refuses a Dockerfile that names base by a tag, at its FROM line', async () => {
    const { dir, name } = copyExample();
    writeFileSync(join(dir, 'tools', 'Dockerfile'), readFileSync(join(dir, 'tools', 'Dockerfile'), 'utf8').replace('FROM ${BASE}', `FROM ${name}/base:dev`));
    expect(await runCli(['validate'], { cwd: dir, env: {} })).toMatchObject({ code: 0 });
    const r = await runCli(['validate', '--var', 'TAG=v2'], { cwd: dir, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr.split(dir).join('<root>')).toContain(
      `tools/Dockerfile:5:6: error: FROM ${name}/base:dev names image 'base' by a tag it does not carry: 'tools' would not wait for 'base' and would be built from an old image`,
    );
    expect(r.stderr).toMatch(/mbuild\.yaml:\d+:\d+: note: image 'base' is tagged .*\/base:v2 here/);
  });

  it('validate refuses a Dockerfile naming a tag base carried when it was last built here, after base was renamed', async () => {
    const { dir, name } = copyExample();
    const built = await runCli(['up', 'base', '--no-outputs', '-q'], { cwd: dir, env: process.env });
    expect(built).toMatchObject({ code: 0, stderr: '' });
    const yaml = join(dir, 'mbuild.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(`"${name}/base:\${TAG}"`, `"${name}/core:\${TAG}"`));
    writeFileSync(join(dir, 'tools', 'Dockerfile'), readFileSync(join(dir, 'tools', 'Dockerfile'), 'utf8').replace('FROM ${BASE}', `FROM ${name}/base:dev`));
    const r = await runCli(['validate'], { cwd: dir, env: {} });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split(dir).join('<root>')).toContain(
      `tools/Dockerfile:5:6: error: FROM ${name}/base:dev names a tag image 'base' carried in the last run but not any more`,
    );
  });
});
