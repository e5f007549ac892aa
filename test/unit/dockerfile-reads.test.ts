/**
 * dockerfile/reads.ts: which context paths the stages a target reaches read, and when the
 * answer must be the whole context. Docker behaviour quoted in comments was checked on the
 * Docker 20.10 engine (classic builder and BuildKit behind POST /build).
 */
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { contextReads, type ContextReads, type StaticReads } from '../../src/dockerfile/reads.js';
import type { BuildArgs } from '../../src/dockerfile/stages.js';

const df = (lines: string[]): string => lines.join('\n') + '\n';
const reads = (lines: string[], args: BuildArgs = {}, target: string | null = null): ContextReads =>
  contextReads(parseDockerfile(df(lines)), args, target, { builder: 'buildkit' });

function found(lines: string[], args: BuildArgs = {}, target: string | null = null): StaticReads {
  const r = reads(lines, args, target);
  if (r.kind !== 'paths') throw new Error(`whole context: ${r.reason} (line ${String(r.line)})`);
  return r;
}

/** The context paths read, in order. */
const paths = (lines: string[], args: BuildArgs = {}, target: string | null = null): string[] => found(lines, args, target).reads.map((r) => r.path);

describe('contextReads: COPY and ADD sources', () => {
  it('gives each source with the word as written, the first line and the logical text', () => {
    expect(found(['FROM scratch', '', 'COPY --chown=1:1 \\', '  --chmod=755 a b /d/', 'ADD c.tar.gz /e/']).reads).toEqual([
      { path: 'a', written: 'a', line: 3, text: 'COPY --chown=1:1   --chmod=755 a b /d/' },
      { path: 'b', written: 'b', line: 3, text: 'COPY --chown=1:1   --chmod=755 a b /d/' },
      { path: 'c.tar.gz', written: 'c.tar.gz', line: 5, text: 'ADD c.tar.gz /e/' },
    ]);
  });

  it('takes every word but the last as a source, flags of any kind skipped', () => {
    expect(paths(['FROM scratch', 'COPY --chown=1:1 --chmod=755 a b /d/'])).toEqual(['a', 'b']);
    expect(paths(['FROM scratch', 'COPY --link --chown=app a /d/', 'ADD --chown=1 --keep-git-dir=true b /e'])).toEqual(['a', 'b']);
    // The destination alone is read from nowhere.
    expect(paths(['FROM scratch', 'COPY /only-dest'])).toEqual([]);
  });

  it('cleans sources and makes them relative to the context root', () => {
    expect(paths(['FROM scratch', 'COPY ../x /a/b/ . ./c/../d ./ /a//b//c/. ../../.. /dest/'])).toEqual(['x', 'a/b', '', 'd', '', 'a/b/c', '']);
  });

  it('keeps wildcards as written, per component', () => {
    expect(paths(['FROM scratch', 'COPY packages/*/package.json src/**.ts [ab]?.txt /d/'])).toEqual(['packages/*/package.json', 'src/**.ts', '[ab]?.txt']);
  });

  it('reads nothing for COPY/ADD --from (a stage, an index or an image)', () => {
    expect(paths(['FROM busybox AS a', 'FROM scratch', 'COPY --from=a /x /x', 'COPY --from=0 /y /y', 'ADD --from=alpine:3 /etc /etc', 'COPY z /z'])).toEqual([
      'z',
    ]);
  });

  it('reads nothing for heredoc sources, but reads the other sources of the same instruction', () => {
    expect(paths(['FROM scratch', 'COPY <<EOF /x', 'hello', 'EOF'])).toEqual([]);
    expect(paths(['FROM scratch', 'COPY <<-"EOF" <<two a /x/', '\thello', '\tEOF', 'more', 'two'])).toEqual(['a']);
    expect(paths(['FROM scratch', 'ADD file <<EOF /x/', 'body', 'EOF'])).toEqual(['file']);
  });

  it('reads nothing for ADD of URLs and git sources (also when a variable gives the URL); COPY and local ADD read', () => {
    expect(
      paths([
        'FROM scratch',
        'ADD https://example.com/a.tar.gz /a',
        'ADD http://example.com/b /b',
        'ADD git@github.com:moby/buildkit.git /src',
        'ARG U=https://example.com/u',
        'ADD $U /u',
        'ADD local.tar.gz /l',
      ]),
    ).toEqual(['local.tar.gz']);
    expect(paths(['FROM scratch', 'ADD https://example.com/x local /d/'])).toEqual(['local']);
  });

  it('takes the JSON form word by word, spaces included', () => {
    expect(paths(['FROM scratch', 'COPY ["my file", "other dir/", "/d/"]'])).toEqual(['my file', 'other dir']);
    expect(paths(['FROM scratch', 'ADD ["a b.tar", "/d/"]'])).toEqual(['a b.tar']);
    expect(paths(['FROM scratch', 'ARG D=src', 'COPY ["$D/a b", "${D}2", "/d/"]'])).toEqual(['src/a b', 'src2']);
  });

  it('removes shell-form quotes and escapes', () => {
    expect(paths(['FROM scratch', 'COPY "a" \'b\' d\\*e /x/'])).toEqual(['a', 'b', 'd*e']);
    // `\\*` leaves a literal backslash: the pattern then means a literal `*` (Go's Match).
    expect(paths(['FROM scratch', 'COPY a\\\\*b /x/'])).toEqual(['a\\*b']);
  });

  // Both builders split a shell-form COPY on whitespace before the shell lexer sees the words:
  // `COPY "a" 'b' c\ d /out/` copies a, b, c and d (Docker 20.10, classic and BuildKit), not `c d`.
  it('splits shell-form sources on whitespace, escaped or quoted (BUG: `c\\ d` is one source)', () => {
    expect(paths(['FROM scratch', 'COPY "a" \'b\' c\\ d /out/'])).toEqual(['a', 'b', 'c', 'd']);
  });

  it('uses the escape directive', () => {
    expect(paths(['# escape=`', 'FROM scratch', 'COPY a`$b c\\d /x/'])).toEqual(['a$b', 'c\\d']);
  });

  // Both builders pass exec-form words through the shell lexer too: `COPY ["a\\*b", "/out/"]`
  // with files `a*b` and `axb` copies both (classic and BuildKit, Docker 20.10), and
  // `COPY ["'q'", "/out/"]` copies the file `q`. reads.ts keeps a JSON word without `$` raw.
  it('takes exec-form escapes and quotes as the shell lexer does (BUG: kept raw when the word has no $)', () => {
    expect(paths(['FROM scratch', 'COPY ["a\\\\*b", "/out/"]'])).toEqual(['a*b']);
  });

  it('removes quotes from exec-form words (BUG: kept raw when the word has no $)', () => {
    expect(paths(['FROM scratch', 'COPY ["\'q\'", "/out/"]'])).toEqual(['q']);
  });

  // `COPY --from= a /out` copies the context's `a` (classic and BuildKit, Docker 20.10).
  it('reads the context for an empty --from= (BUG: any --from flag reads nothing)', () => {
    expect(paths(['FROM scratch', 'COPY --from= a /out'])).toEqual(['a']);
  });
});

describe('contextReads: RUN --mount', () => {
  it('reads the source of a bind mount without from, the whole context without source', () => {
    expect(
      found(['FROM busybox', 'RUN --mount=type=bind,source=src,target=/s --mount=target=/all true', 'RUN --mount=type=bind,src=./a/../b,target=/x true']).reads,
    ).toEqual([
      { path: 'src', written: '--mount=type=bind,source=src,target=/s', line: 2, text: 'RUN --mount=type=bind,source=src,target=/s --mount=target=/all true' },
      { path: '', written: '--mount=target=/all', line: 2, text: 'RUN --mount=type=bind,source=src,target=/s --mount=target=/all true' },
      { path: 'b', written: '--mount=type=bind,src=./a/../b,target=/x', line: 3, text: 'RUN --mount=type=bind,src=./a/../b,target=/x true' },
    ]);
  });

  it('reads nothing for other mount types and for bind mounts from a stage or an image', () => {
    expect(
      paths([
        'FROM busybox AS build',
        'FROM busybox',
        'RUN --mount=type=cache,target=/c --mount=type=secret,id=s --mount=type=ssh --mount=type=tmpfs,target=/t true',
        'RUN --mount=type=bind,from=build,source=/out,target=/x --mount=from=alpine:3,target=/y true',
        'RUN --network=none echo no mount',
      ]),
    ).toEqual([]);
  });

  it('reads a mount source both as written (Docker 20.10 does not expand it) and expanded (frontends 1.3 and later do)', () => {
    expect(paths(['FROM scratch', 'ARG S=lib', 'RUN --mount=type=bind,source=$S/x,target=/x true'])).toEqual(['$S/x', 'lib/x']);
    expect(paths(['FROM scratch', 'RUN --mount=type=bind,source=lib,target=/x true'])).toEqual(['lib']);
  });

  it('cleans an absolute or escaping mount source to a context path', () => {
    expect(paths(['FROM scratch', 'RUN --mount=source=/abs/p/,target=/x --mount=source=../../up,target=/y true'])).toEqual(['abs/p', 'up']);
  });

  // `RUN --mount=TYPE=BIND,SOURCE=a,target=/x cp /x /out` copies `a` under BuildKit (Docker 20.10):
  // keys and the type are case-insensitive. parseCsvFields lower-cases keys, not the type's value.
  it('takes the mount type case-insensitively (BUG: TYPE=BIND is not seen as a bind mount)', () => {
    expect(paths(['FROM busybox', 'RUN --mount=TYPE=BIND,SOURCE=a,target=/x cp /x /out'])).toEqual(['a']);
  });
});

describe('contextReads: the stages the target reaches', () => {
  const file = [
    'FROM busybox AS deps', // 1
    'COPY package.json /p/',
    'FROM busybox AS build', // 3
    'COPY --from=deps /p /p',
    'COPY src /src',
    'FROM busybox AS test', // 6
    'COPY test /test',
    'FROM scratch AS tool', // 8
    'COPY tool.txt /t',
    'FROM alpine:3 AS other', // 10
    'COPY other /o',
    'FROM build AS final', // 12
    'RUN --mount=from=tool,target=/t true',
    'COPY --from=4 /o /o2',
    'COPY main.txt /m',
  ];

  it('the last stage by default, and every stage it reaches through FROM, --from (names and indices) and mount from=', () => {
    const r = found(file);
    expect(r.reads.map((x) => [x.path, x.line])).toEqual([
      ['package.json', 2],
      ['src', 5],
      ['tool.txt', 9],
      ['other', 11],
      ['main.txt', 15],
    ]);
    expect(r.bases).toEqual([
      { ref: 'busybox', line: 1 },
      { ref: 'busybox', line: 3 },
      { ref: 'alpine:3', line: 10 },
    ]);
  });

  it('a named target reads only what it reaches (names are case-insensitive); unreached stages read nothing', () => {
    expect(paths(file, {}, 'test')).toEqual(['test']);
    expect(found(file, {}, 'test').bases).toEqual([{ ref: 'busybox', line: 6 }]);
    expect(paths(file, {}, 'BUILD')).toEqual(['package.json', 'src']);
    expect(paths(file, {}, 'tool')).toEqual(['tool.txt']);
    expect(found(file, {}, 'tool').bases).toEqual([]);
    expect(paths(file, {}, 'deps')).toEqual(['package.json']);
  });

  it('follows --from given by an ARG', () => {
    expect(paths(['FROM scratch AS a', 'COPY a /a', 'FROM scratch AS b', 'COPY b /b', 'FROM scratch', 'ARG SRC=b', 'COPY --from=$SRC / /'])).toEqual(['b']);
    expect(
      paths(['FROM scratch AS a', 'COPY a /a', 'FROM scratch AS b', 'COPY b /b', 'FROM scratch', 'ARG SRC=b', 'COPY --from=$SRC / /'], { SRC: 'a' }),
    ).toEqual(['a']);
  });

  it('gives the bases of reached stages after ARG substitution, not scratch nor images used by --from', () => {
    const r = found(['ARG V=3.19', 'FROM alpine:$V AS a', 'FROM scratch', 'COPY --from=a / /', 'COPY --from=debian:12 / /'], { V: '3.20' });
    expect(r.bases).toEqual([{ ref: 'alpine:3.20', line: 2 }]);
  });
});

describe('contextReads: variables', () => {
  it('an ARG default, overridden by a build arg', () => {
    expect(paths(['FROM busybox', 'ARG D=src', 'COPY $D/x /d/'])).toEqual(['src/x']);
    expect(paths(['FROM busybox', 'ARG D=src', 'COPY $D/x /d/'], { D: 'lib' })).toEqual(['lib/x']);
    expect(paths(['FROM busybox', 'ARG D', 'COPY $D/x /d/'], { D: 'lib' })).toEqual(['lib/x']);
  });

  it('an ARG default using an earlier ARG', () => {
    expect(paths(['FROM busybox', 'ARG A=a', 'ARG B=${A}b', 'COPY $B /d/'])).toEqual(['ab']);
    expect(paths(['FROM busybox', 'ARG A=a', 'ARG B=${A}b', 'COPY $B /d/'], { A: 'z' })).toEqual(['zb']);
  });

  it('a global ARG is seen in a stage only when the stage declares it again', () => {
    const file = (stage: string[]): string[] => ['ARG X=g', 'FROM scratch', ...stage, 'COPY x$X /d/'];
    expect(paths(file(['ARG X']))).toEqual(['xg']);
    expect(paths(file(['ARG X']), { X: 'b' })).toEqual(['xb']);
    expect(paths(file([]))).toEqual(['x']);
    expect(paths(file([]), { X: 'b' })).toEqual(['x']);
    // A stage default wins over the global one.
    expect(paths(file(['ARG X=s']))).toEqual(['xs']);
  });

  it('a build arg is not seen without an ARG for it', () => {
    expect(paths(['FROM scratch', 'COPY x$D /d/'], { D: 'lib' })).toEqual(['x']);
  });

  it('ENV overrides an earlier ARG of the same name', () => {
    expect(paths(['FROM busybox', 'ARG X=a', 'ENV X=e', 'COPY $X /d/'])).toEqual(['e']);
    expect(paths(['FROM busybox', 'ARG X=a', 'ENV X=e', 'COPY $X /d/'], { X: 'b' })).toEqual(['e']);
  });

  it('ENV values: with ARGs, quoted, and the legacy `ENV name value` form', () => {
    expect(paths(['FROM busybox', 'ARG V=1', 'ENV D=v$V', 'COPY $D /d/'])).toEqual(['v1']);
    expect(paths(['FROM busybox', 'ENV D="a b" E=c\\ d', 'COPY ["$D", "$E", "/d/"]'])).toEqual(['a b', 'c d']);
    expect(paths(['FROM busybox', 'ENV D lib dir', 'COPY ["$D", "/d/"]'])).toEqual(['lib dir']);
  });

  it('ENV is inherited through FROM <stage>; under BuildKit a stage ARG is too (classic: see below)', () => {
    expect(paths(['FROM scratch AS p', 'ENV D=lib', 'FROM p', 'COPY $D /d/'])).toEqual(['lib']);
    expect(paths(['FROM scratch AS p', 'ENV D=lib', 'FROM p AS q', 'FROM q', 'COPY $D /d/'])).toEqual(['lib']);
    expect(paths(['FROM scratch AS p', 'ARG D=lib', 'FROM p', 'COPY x$D /d/'])).toEqual(['xlib']);
  });

  it('on a scratch base an unset variable is empty: no fallback', () => {
    expect(paths(['FROM scratch', 'COPY a$NOPE/b ${NOPE}c /d/'])).toEqual(['a/b', 'c']);
    expect(paths(['FROM scratch AS p', 'FROM p', 'COPY a$NOPE /d/'])).toEqual(['a']);
  });

  it('${X:-def}, ${X-def}, ${X:+alt}', () => {
    expect(paths(['FROM scratch', 'COPY ${X:-def} /d/'])).toEqual(['def']);
    expect(paths(['FROM scratch', 'ARG X=val', 'COPY ${X:-def} /d/'])).toEqual(['val']);
    expect(paths(['FROM scratch', 'ARG X=', 'COPY ${X:-def} x${X-def} /d/'])).toEqual(['def', 'x']);
    expect(paths(['FROM scratch', 'ARG X=1', 'COPY ${X:+alt} /d/'])).toEqual(['alt']);
    expect(paths(['FROM busybox', 'ARG X=', 'COPY ${X:-def} /d/'])).toEqual(['def']);
  });

  // Docker: `ENV abc=a` then `ENV abc=b def=$abc` gives def=a: every word of one instruction is
  // expanded with the values before it (documented; checked on Docker 20.10, both builders).
  it('one ENV instruction expands all its values with the variables as they were before it (BUG: sequential)', () => {
    expect(paths(['FROM scratch', 'ENV abc=a', 'ENV abc=b def=$abc', 'COPY $def /out'])).toEqual(['a']);
  });

  // Docker 20.10, both builders: `ARG A=a` then `ARG A=b B=$A` gives B=a.
  it('one ARG instruction expands all its defaults with the variables as they were before it (BUG: sequential)', () => {
    expect(paths(['FROM scratch', 'ARG A=a', 'ARG A=b B=$A', 'COPY $B /out'])).toEqual(['a']);
  });

  // An ARG named like an Object.prototype member: `name in buildArgs` finds the prototype's.
  it('an ARG named `constructor` without a build arg is unset (BUG: buildArgs read through the prototype)', () => {
    expect(paths(['FROM scratch', 'ARG constructor', 'COPY x$constructor /d/'])).toEqual(['x']);
  });
});

describe('contextReads: the whole context', () => {
  it('for a # syntax= frontend other than Docker own', () => {
    expect(reads(['# syntax=example.com/my/frontend:1', 'FROM scratch', 'COPY a /a'])).toEqual({
      kind: 'whole',
      reason: "# syntax=example.com/my/frontend:1 is not Docker's own frontend",
      line: 1,
    });
    expect(reads(['# syntax=docker/dockerfile-foo', 'FROM scratch', 'COPY a /a']).kind).toBe('whole');
  });

  it("not for Docker's own frontends", () => {
    for (const s of [
      'docker/dockerfile:1',
      'docker/dockerfile:1.4-labs',
      'docker.io/docker/dockerfile:1.7',
      'docker/dockerfile-upstream:master',
      'docker/dockerfile',
      `docker/dockerfile:1@sha256:${'a'.repeat(64)}`,
    ]) {
      expect(paths([`# syntax=${s}`, 'FROM scratch', 'COPY a /a']), s).toEqual(['a']);
    }
  });

  it('for an in-file stage with ONBUILD used as a base by a reached stage', () => {
    const file = ['FROM busybox AS base', 'RUN true', 'ONBUILD COPY x /x', 'FROM base AS app', 'COPY a /a', 'FROM scratch AS lone', 'COPY b /b'];
    expect(reads(file, {}, 'app')).toEqual({ kind: 'whole', reason: 'stage base has ONBUILD triggers and is used as a base', line: 3 });
    // Not when the child is not reached, nor for the ONBUILD stage itself, nor through --from.
    expect(paths(file, {}, 'lone')).toEqual(['b']);
    expect(paths(file, {}, 'base')).toEqual([]);
    expect(paths(['FROM busybox AS base', 'ONBUILD COPY x /x', 'FROM scratch', 'COPY --from=base / /', 'COPY b /b'])).toEqual(['b']);
  });

  it('for a variable that may come from the base image ENV', () => {
    expect(reads(['FROM busybox', 'COPY $X /d/'])).toEqual({ kind: 'whole', reason: '$X in a source path is not known before the build', line: 2 });
    expect(reads(['FROM busybox', 'ARG X', 'COPY ${X:-def} /d/'])).toEqual({
      kind: 'whole',
      reason: '$X in a source path is not known before the build',
      line: 3,
    });
    // Through FROM <stage> of an image stage.
    expect(reads(['FROM busybox AS p', 'FROM p', 'COPY $S /s/'])).toEqual({
      kind: 'whole',
      reason: '$S in a source path is not known before the build',
      line: 3,
    });
    // An ENV whose value uses the base image's variables.
    expect(reads(['FROM busybox', 'ENV D=$HOME/x', 'COPY $D /d/'])).toEqual({
      kind: 'whole',
      reason: '$D in a source path is not known before the build',
      line: 3,
    });
    // A global ARG without value, declared in the stage.
    expect(reads(['ARG X', 'FROM busybox', 'ARG X', 'COPY $X /d/']).kind).toBe('whole');
    expect(paths(['ARG X', 'FROM busybox', 'ARG X', 'COPY $X /d/'], { X: 'given' })).toEqual(['given']);
  });

  it('not for unknown variables in stages that are not reached, nor in ENV values no read uses', () => {
    expect(paths(['FROM busybox AS a', 'COPY $X /d/', 'FROM scratch', 'COPY b /b'])).toEqual(['b']);
    expect(paths(['FROM busybox', 'ENV P=$PATH:/x', 'COPY b /b'])).toEqual(['b']);
  });

  it('for an invalid wildcard', () => {
    expect(reads(['FROM scratch', 'COPY a[ /d/'])).toEqual({ kind: 'whole', reason: 'a[ is not a valid wildcard pattern', line: 2 });
    expect(reads(['FROM scratch', 'COPY ok x/[] /d/'])).toEqual({ kind: 'whole', reason: 'x/[] is not a valid wildcard pattern', line: 2 });
    // `a\\` lexes to `a\`: no unescaped wildcard, so a literal path, not a pattern.
    expect(paths(['FROM scratch', 'COPY a\\\\ /d/'])).toEqual(['a\\']);
    expect(reads(['FROM scratch', 'RUN --mount=source=[a-,target=/x true'])).toEqual({ kind: 'whole', reason: '[a- is not a valid wildcard pattern', line: 2 });
  });

  it('for a Dockerfile that does not parse', () => {
    expect(reads(['FROM scratch', 'COPY a /a', 'BOGUS x'])).toEqual({ kind: 'whole', reason: 'the Dockerfile does not parse', line: 3 });
    expect(reads(['COPY a /a'])).toEqual({ kind: 'whole', reason: 'the Dockerfile does not parse', line: 1 });
    expect(reads(['FROM scratch AS 1bad', 'COPY a /a'])).toEqual({ kind: 'whole', reason: 'the Dockerfile does not parse', line: 1 });
    expect(reads(['FROM scratch AS s', 'COPY --from=s /a /a'])).toEqual({ kind: 'whole', reason: 'the Dockerfile does not parse', line: 2 });
    expect(reads(['FROM scratch', 'COPY <<EOF /x', 'never ends'])).toEqual({ kind: 'whole', reason: 'the Dockerfile does not parse', line: 2 });
  });

  it('for a source whose expansion fails', () => {
    expect(reads(['FROM scratch', 'COPY ${X:?unset} /d/'])).toEqual({ kind: 'whole', reason: '${X:?unset}: X: unset', line: 2 });
  });
});

describe('contextReads: wildcards with a hyphen', () => {
  // globComponent escapes '-' outside a class as `\-`, which a RegExp with the `u` flag rejects:
  // `COPY my-app/*.js /d/` throws a SyntaxError out of contextReads.
  it('a pattern with a hyphen in any component (BUG: SyntaxError: Invalid escape)', () => {
    expect(paths(['FROM scratch', 'COPY my-app/*.js a-*.txt /d/'])).toEqual(['my-app/*.js', 'a-*.txt']);
  });
});

describe('contextReads: the builders resolve variables differently', () => {
  const parsed = (lines: string[]) => parseDockerfile(df(lines));
  const pathsOf = (r: ContextReads): string[] | string => (r.kind === 'paths' ? r.reads.map((x) => x.path) : `whole: ${r.reason}`);

  it('classic: an ARG on an image base may be hidden by the base ENV, so it is unknown until that ENV is known', () => {
    const lines = ['FROM busybox', 'ARG D=x', 'COPY $D /d/'];
    expect(pathsOf(contextReads(parsed(lines), {}, null, { builder: 'classic' }))).toBe('whole: $D in a source path is not known before the build');
    expect(pathsOf(contextReads(parsed(lines), {}, null, { builder: 'classic', baseEnv: () => new Map([['PATH', '/bin']]) }))).toEqual(['x']);
    expect(pathsOf(contextReads(parsed(lines), {}, null, { builder: 'classic', baseEnv: () => new Map([['D', 'e']]) }))).toEqual(['e']);
    expect(pathsOf(contextReads(parsed(lines), {}, null, { builder: 'buildkit' }))).toEqual(['x']);
  });

  it('classic: ENV wins over a later ARG; BuildKit: the last of them wins', () => {
    const lines = ['FROM scratch', 'ENV X=e', 'ARG X=a', 'COPY $X /d/'];
    expect(pathsOf(contextReads(parsed(lines), {}, null, { builder: 'classic' }))).toEqual(['e']);
    expect(pathsOf(contextReads(parsed(lines), {}, null, { builder: 'buildkit' }))).toEqual(['a']);
  });

  it('BuildKit carries a stage ARG into a stage built FROM it; classic does not', () => {
    const lines = ['FROM scratch AS p', 'ARG D=a', 'FROM p', 'COPY x$D /d/'];
    expect(pathsOf(contextReads(parsed(lines), {}, null, { builder: 'buildkit' }))).toEqual(['xa']);
    expect(pathsOf(contextReads(parsed(lines), {}, null, { builder: 'classic' }))).toEqual(['x']);
  });

  it('without a builder: what either reads (both paths), or the whole context when either needs it', () => {
    expect(pathsOf(contextReads(parsed(['FROM scratch', 'ENV X=e', 'ARG X=a', 'COPY $X /d/']), {}, null))).toEqual(['a', 'e']);
    expect(pathsOf(contextReads(parsed(['FROM busybox', 'ARG D=x', 'COPY $D /d/']), {}, null))).toMatch(/^whole/);
  });
});
