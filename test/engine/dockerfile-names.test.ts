/**
 * Issue 19 item 1 on the real engine, both builders: a Dockerfile names an image of the
 * build file by its name (`FROM base`, `COPY --from=base`, BuildKit's `RUN --mount=from=base`)
 * or through `contexts:`, whatever its tags are; a stage of the same name wins; the Dockerfile
 * sent is rewritten, never the user's file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileInImage, idOf, runInImage } from '../helpers/engine-docker.js';
import { runCli } from '../helpers/run-cli.js';
import { tempProject, type TempProject } from '../helpers/temp-project.js';

const files = (name: string): Record<string, string> => ({
  'mbuild.yaml': `version: 1
name: ${name}
vars:
  TAG: one
defaults:
  network: none
images:
  base:
    context: base
    tags: ["${name}/base:\${TAG}"]
  tools:
    dockerfile_inline: |
      FROM busybox
      RUN mkdir -p /opt/tools && echo tools > /opt/tools/t.txt
    tags: ["${name}/tools:\${TAG}"]
  app:
    context: app
    tags: ["${name}/app:\${TAG}"]
    contexts:
      builder: {image: tools}
      upstream: busybox:latest
      srcs: {image: tools, path: /opt/tools}
  shadow:
    dockerfile_inline: |
      FROM busybox AS base
      RUN echo stage > /from-stage.txt
      FROM busybox
      COPY --from=base /from-stage.txt /s.txt
    tags: ["${name}/shadow:\${TAG}"]
  busybox:
    dockerfile_inline: |
      FROM busybox
      RUN echo wrapped > /wrapped.txt
    tags: ["${name}/busybox:\${TAG}"]
  user:
    dockerfile_inline: |
      FROM busybox
      RUN cat /wrapped.txt > /user.txt
    tags: ["${name}/user:\${TAG}"]
`,
  'base/Dockerfile': 'FROM busybox\nCOPY base.txt /base.txt\n',
  'base/base.txt': 'base v1\n',
  'app/Dockerfile': [
    '# names: base is an image of this file, builder a contexts entry, upstream a reference',
    'FROM base',
    'COPY --from=base /base.txt /copied.txt',
    'COPY --from=builder /opt/tools/t.txt /tools.txt',
    'COPY --from=upstream /bin/busybox /bb',
    'COPY --from=srcs t.txt /from-folder.txt',
    'COPY Dockerfile app.txt /src/',
    '',
  ].join('\n'),
  'app/app.txt': 'app\n',
});

const MOUNT_LINE = 'RUN --mount=from=base,target=/m cat /m/base.txt > /mounted.txt\nRUN --mount=from=srcs,target=/f cat /f/t.txt > /mounted-folder.txt\n';

for (const builder of ['classic', 'buildkit'] as const) {
  describe(`in-file image names in Dockerfiles (${builder})`, () => {
    let p: TempProject;
    const up = async (...args: string[]) => {
      const r = await runCli(['up', '--builder', builder, '--progress', 'plain', ...args], { cwd: p.dir, env: { ...process.env } });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    const tag = (image: string, t = 'one') => `${p.name}/${image}:${t}`;

    beforeAll(() => {
      p = tempProject(`names-${builder}`, (name) => {
        const f = files(name);
        if (builder === 'buildkit') f['app/Dockerfile'] = f['app/Dockerfile']! + MOUNT_LINE;
        return f;
      });
    });
    afterAll(() => p.cleanup());

    it('validate notes the name once; plan has the edges of the name and of contexts', async () => {
      const v = await runCli(['validate'], { cwd: p.dir });
      expect(v.code, v.stderr).toBe(0);
      expect(v.stderr.match(/note: FROM base means image 'base' of this build file/g)).toHaveLength(1);
      expect(v.stderr).toContain("note: FROM busybox means image 'busybox' of this build file");
      const plan = await runCli(['plan', '--format', 'json'], { cwd: p.dir });
      const images = (JSON.parse(plan.stdout) as { images: { name: string; dependsOn: { image: string; kind: string }[] }[] }).images;
      const app = images.find((i) => i.name === 'app')!;
      expect(app.dependsOn.map((e) => `${e.image} ${e.kind}`)).toEqual(
        expect.arrayContaining(['base from', 'base copy-from', 'tools contexts', 'tools copy-from']),
      );
      // The stage named base wins over the image base; busybox is the image of this file.
      expect(new Set(images.find((i) => i.name === 'shadow')!.dependsOn.map((e) => e.image))).toEqual(new Set(['busybox']));
      expect(images.find((i) => i.name === 'user')!.dependsOn.map((e) => e.image)).toEqual(['busybox']);
    });

    it('builds every form from the images just built; the user files are untouched', async () => {
      const before = readFileSync(join(p.dir, 'app/Dockerfile'));
      await up();
      const app = tag('app');
      expect(fileInImage(app, '/base.txt')).toBe('base v1\n');
      expect(fileInImage(app, '/copied.txt')).toBe('base v1\n');
      expect(fileInImage(app, '/tools.txt')).toBe('tools\n');
      expect(runInImage(app, 'sh', '-c', 'cmp /bb /bin/busybox && echo same')).toBe('same\n');
      expect(fileInImage(app, '/from-folder.txt')).toBe('tools\n');
      if (builder === 'buildkit') expect(fileInImage(app, '/mounted.txt')).toBe('base v1\n');
      if (builder === 'buildkit') expect(fileInImage(app, '/mounted-folder.txt')).toBe('tools\n');
      // The folder was read into the context under mbuild's own name, never into the image or the project.
      expect(runInImage(app, 'sh', '-c', 'ls -a /src; test -e /.mbuild-context || echo none')).not.toContain('.mbuild-context');
      // The build reads the Dockerfile: the image holds the user's text, not the rewritten one.
      expect(readFileSync(join(p.dir, 'app/Dockerfile'))).toEqual(before);
      expect(fileInImage(app, '/src/Dockerfile')).toBe(before.toString());
      expect(fileInImage(tag('shadow'), '/s.txt')).toBe('stage\n');
      expect(fileInImage(tag('user'), '/user.txt')).toBe('wrapped\n');
      expect(runInImage('busybox:latest', 'sh', '-c', 'test -e /wrapped.txt || echo untouched')).toBe('untouched\n');
    });

    it('a second run is up to date; an edit of base rebuilds app through the name', async () => {
      expect(await up()).toMatch(/done in [\d.]+s: 6 up to date/);
      const app = idOf(tag('app'));
      writeFileSync(join(p.dir, 'base/base.txt'), 'base v2\n');
      const out = await up();
      expect(out).toContain('[app] building: upstream base rebuilt');
      expect(idOf(tag('app'))).not.toBe(app);
      expect(fileInImage(tag('app'), '/copied.txt')).toBe('base v2\n');
    });

    it('other tags change nothing: the names still reach the images just built', async () => {
      const out = await up('--var', 'TAG=two');
      expect(fileInImage(tag('app', 'two'), '/base.txt')).toBe('base v2\n');
      expect(out).not.toContain('error');
    });
  });
}
