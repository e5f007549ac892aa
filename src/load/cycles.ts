/**
 * Dependency cycles that Dockerfile lines close (phase 6): the build file's own edges are
 * checked by the `dependency-cycle` rule; a cycle through a FROM / COPY --from /
 * RUN --mount=from line is located at that line, with every edge of the cycle as a note.
 */
import type { Diagnostic, Location } from '../core/diagnostic.js';
import { references } from '../config/rules/rule.js';
import type { BuildFile } from '../config/types.js';
import type { ImageDockerfile } from '../dockerfile/images.js';
import { dockerfileWord } from '../dockerfile/location.js';
import { REFERENCE_PREFIX } from '../dockerfile/stages.js';
import { cyclesAmong, edgesOf, familiarRef, tagIndex, type GraphCycle } from '../plan/graph.js';
import type { Edge } from '../plan/types.js';

/** Where one edge of a cycle is written, and how to say it. */
function edgeNote(file: BuildFile, dockerfiles: ReadonlyMap<string, ImageDockerfile>, edge: Edge & { from: string }): { message: string; location: Location; dockerfile: boolean } {
  const head = `'${edge.from}' depends on '${edge.image}' through`;
  if (edge.kind === 'from' || edge.kind === 'copy-from' || edge.kind === 'mount-from') {
    const df = dockerfiles.get(edge.from)!;
    const tags = tagIndex(file);
    const ref = df.refs.find((r) => r.kind === edge.kind && tags.get(familiarRef(r.ref)) === edge.image)!;
    const message = `${head} ${REFERENCE_PREFIX[ref.kind]}${ref.text}`;
    return { ...dockerfileWord(df, ref.line, ref.text, message), dockerfile: true };
  }
  const written = references(file).find((r) => r.from === edge.from && r.to === edge.image && r.via === edge.kind)!;
  return { message: `${head} ${edge.kind}`, location: file.locate.value(written.at), dockerfile: false };
}

function cycleDiagnostic(file: BuildFile, dockerfiles: ReadonlyMap<string, ImageDockerfile>, c: GraphCycle): Diagnostic {
  const notes = c.edges.map((e) => edgeNote(file, dockerfiles, e));
  const at = notes.find((n) => n.dockerfile) ?? notes[0]!;
  return {
    severity: 'error', code: 'dependency-cycle', message: `dependency cycle: ${c.cycle.join(' -> ')}`, location: at.location,
    related: notes.map(({ message, location }) => ({ message, location })),
  };
}

/** Cycles among all the images of the file, Dockerfile edges included. */
export function dockerfileCycles(file: BuildFile, dockerfiles: ReadonlyMap<string, ImageDockerfile>): Diagnostic[] {
  const edges = edgesOf(file, new Map([...dockerfiles].map(([name, df]) => [name, df.refs])));
  return cyclesAmong(edges, file.images.keys()).map((c) => cycleDiagnostic(file, dockerfiles, c));
}
