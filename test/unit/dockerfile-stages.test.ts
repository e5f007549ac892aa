import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { referencedImages, resolveStages, stageNames } from '../../src/dockerfile/stages.js';

const df = (lines: string[]) => parseDockerfile(lines.join('\n') + '\n');

describe('resolveStages: FROM and global ARGs', () => {
  const file = df([
    '# syntax=docker/dockerfile:1',
    'ARG REGISTRY=registry.local:5000',
    'ARG TAG',
    'ARG BASE=${REGISTRY}/base:${TAG:-latest}',
    'FROM ${BASE} AS build',
    'RUN make',
    'FROM --platform=$BUILDPLATFORM busybox:${TAG:+v$TAG} AS Final',
    'COPY --from=build /out /out',
  ]);

  it('collects global ARGs with defaults, expanded in order', () => {
    const g = resolveStages(file);
    expect(g.errors).toEqual([]);
    expect(g.globalArgs).toEqual([
      { name: 'REGISTRY', default: 'registry.local:5000', value: 'registry.local:5000', line: 2 },
      { name: 'TAG', default: null, value: undefined, line: 3 },
      { name: 'BASE', default: '${REGISTRY}/base:${TAG:-latest}', value: 'registry.local:5000/base:latest', line: 4 },
    ]);
  });

  it('substitutes ARGs in FROM, build args overriding defaults', () => {
    const plain = resolveStages(file).stages;
    expect(plain.map((s) => [s.index, s.name, s.baseText, s.base, s.platform])).toEqual([
      [0, 'build', '${BASE}', 'registry.local:5000/base:latest', null],
      [1, 'final', 'busybox:${TAG:+v$TAG}', 'busybox:', '$BUILDPLATFORM'],
    ]);
    const withArgs = resolveStages(file, { TAG: '1.2', REGISTRY: 'ignored-because-BASE-is-given', BASE: 'alpine:3' }).stages;
    expect(withArgs.map((s) => s.base)).toEqual(['alpine:3', 'busybox:v1.2']);
    expect(resolveStages(file, { TAG: '1.2' }).stages[0]?.base).toBe('registry.local:5000/base:1.2');
  });

  it('does not substitute build args that are not declared as global ARGs', () => {
    const g = resolveStages(df(['FROM busybox:${V:-fallback}']), { V: 'x' });
    expect(g.stages[0]?.base).toBe('busybox:fallback');
  });

  it('records the FROM lines and the instructions of each stage', () => {
    const [a, b] = resolveStages(file).stages;
    expect(a?.from.startLine).toBe(5);
    expect(a?.instructions.map((i) => i.startLine)).toEqual([6]);
    expect(b?.instructions.map((i) => i.keyword)).toEqual(['COPY']);
  });

  it('lists stage names lower-cased', () => {
    expect(stageNames(file)).toEqual(['build', 'final']);
    expect(stageNames(df(['FROM busybox', 'FROM busybox AS x']))).toEqual(['x']);
  });
});

describe('resolveStages: errors as values', () => {
  it('reports instructions before the first FROM', () => {
    expect(resolveStages(df(['ARG A=1', 'RUN echo', 'FROM busybox'])).errors).toEqual([
      { line: 2, endLine: 2, message: 'no build stage in current context: RUN before the first FROM' },
    ]);
  });
  it('reports a missing FROM', () => {
    expect(resolveStages(df(['ARG A=1'])).errors).toEqual([{ line: 1, message: 'dockerfile contains no stages to build (no FROM)' }]);
  });
  it('reports malformed FROM lines, bad and duplicate stage names', () => {
    const g = resolveStages(df(['FROM a b', 'FROM busybox AS 1st', 'FROM busybox AS x', 'FROM busybox as X', 'FROM --pull busybox']));
    expect(g.errors.map((e) => [e.line, e.message])).toEqual([
      [1, 'FROM requires either one or three arguments'],
      [2, 'invalid name for build stage: "1st", name can\'t start with a number or contain symbols'],
      [4, 'duplicate stage name "x"'],
      [5, 'unknown flag for FROM: --pull'],
    ]);
  });
  it('reports a FROM that expands to nothing and a bad substitution', () => {
    const g = resolveStages(df(['ARG B', 'FROM $B', 'FROM ${B:?required}']));
    expect(g.errors.map((e) => [e.line, e.message])).toEqual([
      [2, 'base name ($B) should not be blank'],
      [3, 'B: required'],
    ]);
  });
});

describe('references between stages and images', () => {
  const file = df([
    'ARG GO=golang:1.22',
    'FROM ${GO} AS builder',
    'RUN --mount=type=cache,target=/root/.cache --mount=type=bind,from=tools,target=/t make',
    'FROM busybox AS tools',
    'FROM builder AS test',
    'RUN --mount=type=bind,from=builder,target=/y --mount=type=bind,source=/x,from=alpine:3,target=/z true',
    'FROM scratch',
    'COPY --from=0 /bin/app /app',
    'COPY --from=Builder /etc/ssl /etc/ssl',
    'COPY --from=nginx:1.25 /etc/nginx /etc/nginx',
    'ADD --from=tools /bin/sh /sh',
  ]);

  it('resolves FROM to an image, an earlier stage or scratch', () => {
    const { stages } = resolveStages(file);
    expect(stages.map((s) => s.source)).toEqual([
      { kind: 'image', ref: 'golang:1.22' },
      { kind: 'image', ref: 'busybox' },
      { kind: 'stage', index: 0 },
      { kind: 'scratch' },
    ]);
  });

  it('resolves --from by index and by (case-insensitive) name, and mounts by from=', () => {
    const { stages, errors } = resolveStages(file);
    expect(errors).toEqual([]);
    expect(stages[0]?.references.map((r) => [r.kind, r.text, r.source, r.line])).toEqual([
      ['from', '${GO}', { kind: 'image', ref: 'golang:1.22' }, 2],
      ['mount-from', 'tools', { kind: 'stage', index: 1 }, 3],
    ]);
    expect(stages[2]?.references.map((r) => [r.kind, r.source])).toEqual([
      ['from', { kind: 'stage', index: 0 }],
      ['mount-from', { kind: 'stage', index: 0 }],
      ['mount-from', { kind: 'image', ref: 'alpine:3' }],
    ]);
    expect(stages[3]?.references.map((r) => [r.kind, r.text, r.source])).toEqual([
      ['from', 'scratch', { kind: 'scratch' }],
      ['copy-from', '0', { kind: 'stage', index: 0 }],
      ['copy-from', 'Builder', { kind: 'stage', index: 0 }],
      ['copy-from', 'nginx:1.25', { kind: 'image', ref: 'nginx:1.25' }],
      ['copy-from', 'tools', { kind: 'stage', index: 1 }],
    ]);
  });

  it('referencedImages lists only external images, with lines and kinds', () => {
    expect(referencedImages(file)).toEqual([
      { ref: 'golang:1.22', text: '${GO}', line: 2, kind: 'from', stage: 0 },
      { ref: 'busybox', text: 'busybox', line: 4, kind: 'from', stage: 1 },
      { ref: 'alpine:3', text: 'alpine:3', line: 6, kind: 'mount-from', stage: 2 },
      { ref: 'nginx:1.25', text: 'nginx:1.25', line: 10, kind: 'copy-from', stage: 3 },
    ]);
    expect(referencedImages(file, { GO: 'golang:1.23' })[0]?.ref).toBe('golang:1.23');
  });

  it('a stage name used in FROM before it is defined is an image', () => {
    expect(referencedImages(df(['FROM later', 'FROM busybox AS later']))).toEqual([
      { ref: 'later', text: 'later', line: 1, kind: 'from', stage: 0 },
      { ref: 'busybox', text: 'busybox', line: 2, kind: 'from', stage: 1 },
    ]);
  });

  it('expands --from with stage ARGs that inherit global values', () => {
    const f = df(['ARG SRC=nginx:1.25', 'FROM busybox', 'ARG SRC', 'COPY --from=${SRC} /a /b', 'ARG OTHER=alpine', 'COPY --from=$OTHER /c /d']);
    expect(referencedImages(f).map((r) => r.ref)).toEqual(['busybox', 'nginx:1.25', 'alpine']);
    expect(referencedImages(f, { SRC: 'caddy:2' }).map((r) => r.ref)).toEqual(['busybox', 'caddy:2', 'alpine']);
  });

  it('reports --from pointing at its own stage or at a missing index', () => {
    const g = resolveStages(df(['FROM busybox AS a', 'COPY --from=a /x /y', 'COPY --from=7 /x /y']));
    expect(g.errors.map((e) => [e.line, e.message])).toEqual([
      [2, 'a refers to the stage it is used in (circular dependency)'],
      [3, '7 refers to stage 7, but there are only 1'],
    ]);
  });

  it('handles quoted mount fields', () => {
    const f = df(['FROM busybox', 'RUN --mount="type=bind,from=ghcr.io/x/y:1,target=/t" true']);
    expect(referencedImages(f).map((r) => [r.ref, r.kind])).toEqual([
      ['busybox', 'from'],
      ['ghcr.io/x/y:1', 'mount-from'],
    ]);
  });
});
