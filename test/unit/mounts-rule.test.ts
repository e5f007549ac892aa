/**
 * The `mount-collision` rule (src/config/rules/mounts.ts): mounts that overlap each other,
 * and mount targets the context already sends, as far as .dockerignore says. Exact texts
 * and positions, one accepted file per rejected one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/load.js';
import { mountCollision } from '../../src/config/rules/mounts.js';
import { position } from '../../src/report/diagnostic-printer.js';
import { testdir, type Tree } from '../helpers/testdir.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});

async function check(app: string, tree: Tree = {}): Promise<string[]> {
  const yaml = `version: 1\nname: p\nimages:\n  web:\n    dockerfile_inline: "FROM busybox"\n  app:\n${app}`;
  const t = testdir({ 'mbuild.yaml': yaml, 'app/Dockerfile': 'FROM busybox\n', ...tree });
  cleanups.push(t.cleanup);
  const model = await buildModel({ cwd: t.dir, env: {} });
  if (!model.ok) throw new Error(model.error.diagnostics.map((d) => d.message).join('\n'));
  return mountCollision(model.value).map((d) => {
    const at = (l: typeof d.location) => (l ? position(l.file, l.range.offset) : { line: 0, column: 0 });
    const { line, column } = at(d.location);
    const related = (d.related ?? []).map((r) => ` [${at(r.location).line}:${at(r.location).column} ${r.message}]`).join('');
    return `${line}:${column} ${d.message}${related}`;
  });
}

const mounts = (...m: [string, string, string][]): string =>
  `    context: app\n    mounts:\n${m.map(([from, path, to]) => `      - {from: ${from}, path: ${path}, to: ${to}}\n`).join('')}`;

describe('mountCollision', () => {
  it('accepts disjoint mounts and targets the context does not send', async () => {
    expect(await check(mounts(['web', '/a', 'static'], ['web', '/b', 'static2'], ['web', '/c', 'lib/js']), { 'app/lib/x.txt': 'x' })).toEqual([]);
    expect(await check(mounts(['web', '/a', 'static']), { 'app/static/old': 'x', 'app/.dockerignore': 'static\n' })).toEqual([]);
  });

  it('refuses two mounts with one target, or one inside the other', async () => {
    expect(await check(mounts(['web', '/a', 'static'], ['web', '/b', 'static/js'], ['web', '/c', './static/']))).toEqual([
      "10:35 mount web:/b -> static/js overlaps mount web:/a -> static in image 'app' [9:35 the other mount's target is here]",
      "11:35 mount web:/c -> static has the same target as mount web:/a -> static in image 'app' [9:35 the other mount's target is here]",
    ]);
  });

  it('refuses a target the context sends, naming the context path', async () => {
    expect(await check(mounts(['web', '/a', 'static']), { 'app/static/index.html': 'x' })).toEqual([
      '9:35 mount web:/a -> static collides with context folder static (app/static): a mount never overwrites the context; exclude it in .dockerignore or mount elsewhere',
    ]);
    expect(await check(mounts(['web', '/a', 'static']), { 'app/static/index.html': 'x', 'app/.dockerignore': 'static\n!static/index.html\n' })).toEqual([
      '9:35 mount web:/a -> static collides with context file static/index.html (app/static/index.html): a mount never overwrites the context; exclude it in .dockerignore or mount elsewhere',
    ]);
    expect(await check(mounts(['web', '/a', 'static/js']), { 'app/static': 'a file' })).toEqual([
      '9:35 mount web:/a -> static/js needs the folder static, but the context sends file app/static',
    ]);
    expect(await check(mounts(['web', '/a', 'Dockerfile']), { 'app/.dockerignore': 'Dockerfile\n' })).toEqual([
      '9:35 mount web:/a -> Dockerfile collides with context file Dockerfile (app/Dockerfile): a mount never overwrites the context; exclude it in .dockerignore or mount elsewhere',
    ]);
  });

  it('knows the files mbuild injects for an inline Dockerfile', async () => {
    const app = `    context: app\n    dockerfile_inline: "FROM busybox"\n    mounts:\n      - {from: web, path: /a, to: .dockerignore}\n`;
    expect(await check(app)).toEqual([
      "10:35 mount web:/a -> .dockerignore collides with .dockerignore, which mbuild itself sends in the context of image 'app'",
    ]);
  });
});
