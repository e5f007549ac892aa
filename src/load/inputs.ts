/**
 * Checks of what each image's Dockerfile reads (phase 5b), before anything is built: a
 * COPY/ADD/bind-mount source named without wildcards must be in the context and not
 * excluded by .dockerignore (both builders fail the build on it; a wildcard that matches
 * nothing is accepted by BuildKit), at the Dockerfile's line; and an `outputs` folder that
 * lies inside what an image reads is a warning naming both (each write of the output
 * changes that image's inputs; watch never watches outputs, so it cannot loop on it).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Diagnostic, RelatedInformation } from '../core/diagnostic.js';
import { mountedAt } from '../core/overlap.js';
import { FsProbe } from '../config/fs-probe.js';
import { show } from '../config/rules/paths.js';
import type { BuildFile, HostContextSpec, ImageSpec, OutputSpec } from '../config/types.js';
import { ReadSet } from '../context/read-set.js';
import { IgnoreMatcher, parseIgnoreFile } from '../dockerignore/ignore.js';
import type { ImageDockerfile } from '../dockerfile/images.js';
import { namesOnePath, type ContextRead } from '../dockerfile/reads.js';
import { dockerfileLine, dockerfileWord } from '../dockerfile/location.js';

/** The .dockerignore matcher of an image's context (`path`: its ignore file; none, or an invalid file: contexts.ts reports that). */
const NO_IGNORE_FILE = new IgnoreMatcher([]);

function matcherOf(path: string | null): IgnoreMatcher {
  if (path === null) return NO_IGNORE_FILE;
  try {
    const parsed = parseIgnoreFile(readFileSync(path, 'utf8'));
    return 'error' in parsed ? new IgnoreMatcher([]) : new IgnoreMatcher(parsed.patterns);
  } catch {
    return new IgnoreMatcher([]);
  }
}

/** Every plain source either builder would read (one it cannot know before the build is not checked). */
function plainReads(df: ImageDockerfile): ContextRead[] {
  const seen = new Set<string>();
  return (df.reads.classic === df.reads.buildkit ? [df.reads.buildkit] : [df.reads.buildkit, df.reads.classic])
    .flatMap((r) => (r.kind === 'whole' ? [] : r.reads))
    .filter((r) => {
      const key = `${r.line} ${r.path}`;
      return namesOnePath(r) && !seen.has(key) && seen.add(key);
    });
}

function missingSources(file: BuildFile, image: HostContextSpec, df: ImageDockerfile, matcher: IgnoreMatcher, probe: FsProbe): Diagnostic[] {
  // A context that is not there is reported once, by contexts.ts.
  if (image.inputs === 'whole' || probe.lstat(image.context) === undefined) return [];
  const out: Diagnostic[] = [];
  for (const r of plainReads(df)) {
    if (image.mounts.length > 0 && mountedAt(r.path, image.mounts)) continue;
    const exists = probe.lstat(join(image.context, r.path)) !== undefined;
    const { excluded, pattern } = matcher.explain(r.path);
    if (exists && (!excluded || matcher.exceptionMayMatchBelow(r.path))) continue;
    const why = !exists
      ? `not in the context of image '${image.name}' (${show(file, image.context)})`
      : `excluded by .dockerignore line ${pattern?.line ?? '?'}`;
    const shown = r.written === r.path ? r.written : `${r.written} (${r.path === '' ? '.' : r.path})`;
    out.push({ severity: 'error', code: 'input-missing', ...dockerfileWord(df, r.line, r.written, `${shown}: ${why}; the build would fail here`) });
  }
  return out;
}

/** `to` relative to the context of `reader`, when inside it. */
function inside(reader: HostContextSpec, to: string): string | undefined {
  const rel = relative(reader.context, to);
  return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? undefined : rel.split(sep).join('/');
}

/** The reads of an image (under BuildKit's rules, the builder `auto` picks), or undefined when it reads its whole context. */
function readsOf(reader: ImageSpec, df: ImageDockerfile): readonly ContextRead[] | undefined {
  return reader.inputs === 'whole' || df.reads.buildkit.kind === 'whole' ? undefined : df.reads.buildkit.reads;
}

function outputRead(
  file: BuildFile,
  writer: ImageSpec,
  o: OutputSpec,
  reader: HostContextSpec,
  df: ImageDockerfile,
  matcher: IgnoreMatcher,
): Diagnostic | undefined {
  const rel = inside(reader, o.to);
  if (rel === undefined || matcher.matches(rel)) return undefined;
  const reads = readsOf(reader, df);
  let related: RelatedInformation = { message: `image '${reader.name}' reads its whole context`, location: file.locate.key(reader.origins.self) };
  if (reads !== undefined) {
    // A read of the output folder, of something in it, or of a folder holding it.
    const set = new ReadSet(reads.map((r) => r.path));
    const read = reads[[...set.readersOf(rel), ...set.wayTo(rel)][0] ?? -1];
    if (read === undefined) return undefined;
    related = dockerfileLine(df, read.line, `read here: ${read.text}`);
  }
  const message =
    reader === writer
      ? `output ${show(file, o.to)} of image '${writer.name}' lies inside what its own build reads, so every write of it changes its inputs; add it to its context's .dockerignore`
      : `output ${show(file, o.to)} of image '${writer.name}' lies inside what image '${reader.name}' reads, so every write of it changes the inputs of '${reader.name}'; add it to that context's .dockerignore, or read it with mounts: from '${writer.name}'`;
  return {
    severity: 'warning',
    code: 'output-read',
    message,
    location: file.locate.value([...o.origin, 'to']),
    related: [related],
  };
}

/** `ignores`: each image's ignore file (contexts.ts ignoreFiles). */
/**
 * Each folder holding an output's target (its ancestors) -> those outputs, in file order:
 * the outputs inside a context by one lookup, not a scan of every output per image.
 */
function outputsByHolder(file: BuildFile): Map<string, { writer: ImageSpec; o: OutputSpec }[]> {
  const holders = new Map<string, { writer: ImageSpec; o: OutputSpec }[]>();
  for (const writer of file.images.values()) {
    for (const o of writer.outputs) {
      for (let d = dirname(o.to), done = false; !done; done = d === dirname(d), d = dirname(d)) {
        const list = holders.get(d);
        if (list === undefined) holders.set(d, [{ writer, o }]);
        else list.push({ writer, o });
      }
    }
  }
  return holders;
}

/** `probe`: the load's file-system answers (config/fs-probe.ts). */
export function inputProblems(
  file: BuildFile,
  dockerfiles: ReadonlyMap<string, ImageDockerfile>,
  ignores: ReadonlyMap<string, string | null>,
  probe: FsProbe = new FsProbe(),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const outputs = outputsByHolder(file);
  for (const reader of file.images.values()) {
    const df = dockerfiles.get(reader.name);
    // A context image's files are read from the engine at build time, never from the host.
    if (df === undefined || reader.context === undefined) continue;
    const matcher = matcherOf(ignores.get(reader.name) ?? null);
    out.push(...missingSources(file, reader, df, matcher, probe));
    for (const { writer, o } of outputs.get(reader.context) ?? []) {
      const d = outputRead(file, writer, o, reader, df, matcher);
      if (d) out.push(d);
    }
  }
  return out;
}
