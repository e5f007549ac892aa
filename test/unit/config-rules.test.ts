/** Each semantic rule on its own: one file it accepts, one it rejects, with the exact message. */
import { afterEach, describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/load.js';
import { dependencyCycle, extendsCycle } from '../../src/config/rules/cycles.js';
import { dockerfileAndInline, duplicateTag, invalidTag, reservedLabel, secretLikeArg } from '../../src/config/rules/images.js';
import { outputOverlap, outputProtected, outputThroughSymlink } from '../../src/config/rules/outputs.js';
import { contextMissing, dockerfileMissing, mountTargetInsideContext, pathOutsideRoot } from '../../src/config/rules/paths.js';
import { extendsInDefaults, groupNamedLikeImage, unknownGroupMember, unknownImageReference, unknownMountSource } from '../../src/config/rules/references.js';
import type { Rule } from '../../src/config/rules/rule.js';
import { position } from '../../src/report/diagnostic-printer.js';
import { testdir, type Tree } from '../helpers/testdir.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});

const FROM = 'dockerfile_inline: "FROM busybox"';

async function check(rule: Rule, images: string, extra: Tree = {}, top = ''): Promise<string[]> {
  const t = testdir({ 'mbuild.yaml': `version: 1\nname: p\n${top}images:\n${images}`, ...extra });
  cleanups.push(t.cleanup);
  const model = await buildModel({ cwd: t.dir, env: {} });
  if (!model.ok) throw new Error(model.error.diagnostics.map((d) => d.message).join('\n'));
  return rule(model.value).map((d) => {
    const { line, column } = d.location ? position(d.location.file, d.location.range.offset) : { line: 0, column: 0 };
    return `${line}:${column} ${d.severity} ${d.message}`;
  });
}

describe('rules', () => {
  it('unknownImageReference', async () => {
    expect(await check(unknownImageReference, `  a: {${FROM}}\n  b: {${FROM}, args: {X: {image: a}}, depends_on: [a], extends: a}\n`)).toEqual([]);
    expect(await check(unknownImageReference, `  tools: {${FROM}}\n  b: {${FROM}, args: {X: {image: tols}}}\n`)).toEqual([
      "5:60 error unknown image 'tols' in args.X of image 'b'; did you mean 'tools'?",
    ]);
  });

  it('unknownMountSource', async () => {
    const ok = `  web: {${FROM}}\n  b:\n    ${FROM}\n    mounts: [{from: web, path: /a, to: a}, {from: "busybox:latest", path: /a, to: c}, {from: "web..busybox:1", path: /a, to: d}]\n`;
    expect(await check(unknownMountSource, ok)).toEqual([]);
    expect(await check(unknownMountSource, `  web: {${FROM}}\n  b:\n    ${FROM}\n    mounts: [{from: "web..wbe", path: /a, to: a}]\n`)).toEqual([
      "7:21 error unknown image 'wbe' in mounts of image 'b'; did you mean 'web'? (an external image needs a tag, e.g. 'wbe:latest')",
    ]);
  });

  it('unknownGroupMember', async () => {
    expect(await check(unknownGroupMember, `  a: {${FROM}}\n`, {}, 'groups:\n  g: [a]\n  h: [g]\n')).toEqual([]);
    expect(await check(unknownGroupMember, `  api: {${FROM}}\n`, {}, 'groups:\n  g: [apj]\n')).toEqual([
      "4:7 error unknown image or group 'apj' in group 'g'; did you mean 'api'?",
    ]);
  });

  it('groupNamedLikeImage', async () => {
    expect(await check(groupNamedLikeImage, `  a: {${FROM}}\n`, {}, 'groups:\n  g: [a]\n')).toEqual([]);
    expect(await check(groupNamedLikeImage, `  a: {${FROM}}\n`, {}, 'groups:\n  a: [a]\n')).toEqual(["4:3 error group 'a' has the same name as an image"]);
  });

  it('extendsInDefaults', async () => {
    expect(await check(extendsInDefaults, `  a: {${FROM}}\n`, {}, 'defaults: {network: none}\n')).toEqual([]);
    expect(await check(extendsInDefaults, `  a: {${FROM}}\n`, {}, 'defaults: {extends: a}\n')).toEqual(["3:12 error 'extends' is not allowed in defaults"]);
  });

  it('extendsCycle', async () => {
    expect(await check(extendsCycle, `  a: {${FROM}}\n  b: {extends: a}\n  c: {extends: b}\n`)).toEqual([]);
    expect(await check(extendsCycle, `  c: {extends: b, ${FROM}}\n  b: {extends: c}\n`)).toEqual(['5:16 error extends cycle: b -> c -> b']);
  });

  it('dependencyCycle is deterministic whatever the declaration order', async () => {
    expect(await check(dependencyCycle, `  a: {${FROM}}\n  b: {${FROM}, depends_on: [a]}\n`)).toEqual([]);
    const one = await check(dependencyCycle, `  x: {${FROM}, depends_on: [y]}\n  y: {${FROM}, args: {Z: {image: x}}}\n`);
    const two = await check(dependencyCycle, `  y: {${FROM}, args: {Z: {image: x}}}\n  x: {${FROM}, depends_on: [y]}\n`);
    expect(one).toEqual(['4:55 error dependency cycle: x -> y -> x']);
    expect(two).toEqual(['5:55 error dependency cycle: x -> y -> x']);
  });

  it('dockerfileAndInline', async () => {
    expect(await check(dockerfileAndInline, `  a: {${FROM}}\n`)).toEqual([]);
    expect(await check(dockerfileAndInline, `  a: {${FROM}, dockerfile: D}\n`)).toEqual([
      "4:7 error image 'a' sets both 'dockerfile' and 'dockerfile_inline'; keep one",
    ]);
  });

  it('invalidTag', async () => {
    expect(await check(invalidTag, `  a: {${FROM}, tags: ["localhost:5000/x/y:1.0", "a"]}\n`)).toEqual([]);
    expect(await check(invalidTag, `  a: {${FROM}, tags: ["a::b"]}\n`)).toEqual([
      "4:49 error invalid tag 'a::b': expected [registry/]name[:tag], with lowercase letters, digits and separators '.', '_', '-'",
    ]);
  });

  it('duplicateTag treats a missing tag as :latest', async () => {
    expect(await check(duplicateTag, `  a: {${FROM}, tags: ["x:1"]}\n  b: {${FROM}, tags: ["x:2"]}\n`)).toEqual([]);
    expect(await check(duplicateTag, `  a: {${FROM}, tags: ["x"]}\n  b: {${FROM}, tags: ["x:latest"]}\n`)).toEqual([
      "5:49 error tag 'x:latest' is used by images 'a' and 'b'",
    ]);
  });

  it('reservedLabel', async () => {
    expect(await check(reservedLabel, `  a: {${FROM}, labels: {io.other: x}}\n`)).toEqual([]);
    expect(await check(reservedLabel, `  a: {${FROM}, labels: {io.mbuild.image: x}}\n`)).toEqual([
      "4:51 error label 'io.mbuild.image' is reserved: keys under io.mbuild. are set by mbuild",
    ]);
  });

  it('secretLikeArg warns once per place it is written', async () => {
    expect(await check(secretLikeArg, `  a: {${FROM}, args: {VERSION: "1"}}\n`)).toEqual([]);
    expect(await check(secretLikeArg, `  a: {${FROM}}\n  b: {extends: a}\n`, {}, 'defaults: {args: {DB_PASSWORD: x}}\n')).toEqual([
      "3:19 warning build arg 'DB_PASSWORD' looks like a secret; build args are stored in the image's history, anyone with the image can read it",
    ]);
  });

  it('pathOutsideRoot, also through a symlink', async () => {
    expect(await check(pathOutsideRoot, `  a: {context: svc, outputs: [{path: /x, to: dist/x}]}\n`, { 'svc/Dockerfile': 'FROM busybox' })).toEqual([]);
    expect(
      await check(pathOutsideRoot, `  a: {context: link}\n  b: {context: svc, dockerfile: ../../Dockerfile}\n`, {
        link: { symlink: '/' },
        'svc/Dockerfile': '',
      }),
    ).toEqual([
      expect.stringMatching(/^4:16 error context link leads outside the project root through a symlink \(to (\.\.\/)*\.\.\)$/),
      '5:33 error Dockerfile ../Dockerfile is outside the project root',
    ]);
  });

  it('outputProtected: the build file, contexts and what holds them, Dockerfiles, .dockerignore files, .mbuild/', async () => {
    const files = { 'app/Dockerfile': '', 'src/api/Dockerfile': '', 'web/Dockerfile': '', 'web/.dockerignore': '', lnapp: { symlink: 'app' } };
    const images = (outputs: string) => `  app: {context: app, outputs: [${outputs}]}\n  api: {context: src/api}\n  web: {context: web}\n`;
    expect(await check(outputProtected, images('{path: /x, to: dist/x}, {path: /y, to: app/dist}, {path: /z, to: web/Dockerfile.txt}'), files)).toEqual([]);
    const bad = [
      'mbuild.yaml',
      'app',
      'src',
      'web/Dockerfile',
      'web/.dockerignore',
      'app/Dockerfile.dockerignore',
      '.mbuild/state',
      '.mbuild',
      'x/.dockerignore',
      'lnapp/Dockerfile',
    ];
    expect(await check(outputProtected, images(bad.map((to) => `{path: /a, to: ${to}}`).join(', ')), files)).toEqual([
      "4:48 error output mbuild.yaml of image 'app' would replace the build file",
      "4:77 error output app of image 'app' would replace the context folder of image 'app'",
      "4:98 error output src of image 'app' would replace the context folder of image 'api' (src/api), which is inside it",
      "4:119 error output web/Dockerfile of image 'app' would replace the Dockerfile of image 'web'",
      "4:151 error output web/.dockerignore of image 'app' would replace the .dockerignore of image 'web'",
      "4:186 error output app/Dockerfile.dockerignore of image 'app' would replace the .dockerignore of image 'app'",
      "4:231 error output .mbuild/state of image 'app' would write into mbuild's state folder .mbuild",
      "4:262 error output .mbuild of image 'app' would write into mbuild's state folder .mbuild",
      "4:287 error output x/.dockerignore of image 'app' would replace a .dockerignore file, which decides what a build sends",
      "4:320 error output lnapp/Dockerfile of image 'app' would replace the Dockerfile of image 'app'",
    ]);
  });

  it('outputOverlap: equal or nested targets, of one image or two, with the other one as related information', async () => {
    expect(
      await check(
        outputOverlap,
        `  a: {${FROM}, outputs: [{path: /x, to: out/x}, {path: /y, to: out/xy}]}\n  b: {${FROM}, outputs: [{path: /z, to: out/y}]}\n`,
      ),
    ).toEqual([]);
    const model = `  a: {${FROM}, outputs: [{path: /x, to: out}, {path: /y, to: ./out/}]}\n  b: {${FROM}, outputs: [{path: /z, to: out/sub/f}]}\n  c: {${FROM}, outputs: [{path: /w, to: keep/a/b}]}\n  d: {${FROM}, outputs: [{path: /v, to: keep}]}\n`;
    expect(await check(outputOverlap, model)).toEqual([
      "4:88 error output /y -> out of image 'a' has the same target as output /x -> out of image 'a'",
      "5:67 error output /z -> out/sub/f of image 'b' is inside output /x -> out of image 'a'",
      "7:67 error output /v -> keep of image 'd' holds output /w -> keep/a/b of image 'c'",
    ]);
    const t = testdir({ 'mbuild.yaml': `version: 1\nname: p\nimages:\n${model}` });
    cleanups.push(t.cleanup);
    const built = await buildModel({ cwd: t.dir, env: {} });
    if (!built.ok) throw new Error('invalid');
    expect(outputOverlap(built.value).map((d) => d.related?.map((r) => position(r.location.file, r.location.range.offset).line))).toEqual([[4], [4], [6]]);
  });

  it('outputThroughSymlink: every folder on the way to `to` is a real folder', async () => {
    const files = { 'real/f': '', ln: { symlink: 'real' }, afile: '' };
    expect(
      await check(outputThroughSymlink, `  a: {${FROM}, outputs: [{path: /x, to: real/x}, {path: /y, to: new/deeper/y}, {path: /z, to: ln}]}\n`, files),
    ).toEqual([]);
    expect(await check(outputThroughSymlink, `  a: {${FROM}, outputs: [{path: /x, to: ln/x}, {path: /y, to: afile/y}]}\n`, files)).toEqual([
      "4:67 error output ln/x of image 'a' would be written through the symlink ln; mbuild writes outputs only through real folders",
      "4:89 error output afile/y of image 'a' needs the folder afile, which is a file",
    ]);
  });

  it('mountTargetInsideContext', async () => {
    expect(await check(mountTargetInsideContext, `  w: {${FROM}}\n  a: {${FROM}, mounts: [{from: w, path: /a, to: ./x/../y}]}\n`)).toEqual([]);
    expect(await check(mountTargetInsideContext, `  w: {${FROM}}\n  a: {${FROM}, mounts: [{from: w, path: /a, to: x/../../y}]}\n`)).toEqual([
      "5:75 error mount target '../y' is not a path inside the context of image 'a': it leaves the context",
    ]);
  });

  it('contextMissing and dockerfileMissing', async () => {
    expect(await check(contextMissing, `  a: {context: svc}\n`, { 'svc/Dockerfile': '' })).toEqual([]);
    expect(await check(contextMissing, `  a: {context: svc}\n`, { svc: 'a file' })).toEqual(["4:16 error context svc of image 'a' is not a folder"]);
    expect(await check(dockerfileMissing, `  a: {context: svc}\n`, { 'svc/Dockerfile': '' })).toEqual([]);
    expect(await check(dockerfileMissing, `  a: {context: svc, dockerfile: df}\n`, { 'svc/df/': '' })).toEqual([
      "4:33 error Dockerfile svc/df of image 'a' is a folder",
    ]);
  });
});
