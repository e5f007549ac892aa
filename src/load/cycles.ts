/**
 * Dependency cycles that Dockerfile lines close (phase 6): the build file's own edges are
 * checked by the `dependency-cycle` rule; a cycle through a FROM / COPY --from /
 * RUN --mount=from line is located at that line, with the edges of the cycle as notes (the
 * first SHOWN_STEPS of a longer one).
 */
import type { Diagnostic, Location } from '../core/diagnostic.js';
import { cycleMessage, SHOWN_STEPS } from '../core/cycles.js';
import { references, type Reference } from '../config/rules/rule.js';
import type { BuildFile } from '../config/types.js';
import type { ImageDockerfile } from '../dockerfile/images.js';
import { dockerfileWord } from '../dockerfile/location.js';
import { REFERENCE_PREFIX } from '../dockerfile/stages.js';
import { cyclesAmong, edgesOf, inFileImage, type GraphCycle } from '../plan/graph.js';
import type { Edge } from '../plan/types.js';

/** What every note of every cycle looks up, computed once (a 6,000-step cycle recomputed them per step). */
interface NoteContext {
  readonly file: BuildFile;
  readonly dockerfiles: ReadonlyMap<string, ImageDockerfile>;
  readonly written: readonly Reference[];
}

const isDockerfileEdge = (edge: Edge): boolean => edge.kind === 'from' || edge.kind === 'copy-from' || edge.kind === 'mount-from';

/** Where one edge of a cycle is written, and how to say it. */
function edgeNote(n: NoteContext, edge: Edge & { from: string }): { message: string; location: Location } {
  const head = `'${edge.from}' depends on '${edge.image}' through`;
  if (isDockerfileEdge(edge)) {
    const df = n.dockerfiles.get(edge.from)!;
    const ref = df.refs.find((r) => r.kind === edge.kind && inFileImage(n.file, n.file.images.get(edge.from)!, r.ref) === edge.image)!;
    const message = `${head} ${REFERENCE_PREFIX[ref.kind]}${ref.text}`;
    return dockerfileWord(df, ref.line, ref.text, message);
  }
  const written = n.written.find((r) => r.from === edge.from && r.to === edge.image && r.via === edge.kind)!;
  return { message: `${head} ${edge.kind}`, location: n.file.locate.value(written.at) };
}

/** Located at the first Dockerfile edge (the build file's own cycles are the rules'); notes for the first SHOWN_STEPS steps. */
function cycleDiagnostic(n: NoteContext, c: GraphCycle): Diagnostic {
  const notes = c.edges.slice(0, SHOWN_STEPS).map((e) => edgeNote(n, e));
  const first = c.edges.find(isDockerfileEdge);
  return {
    severity: 'error',
    code: 'dependency-cycle',
    message: cycleMessage('dependency cycle', c.cycle, notes.length),
    location: first ? edgeNote(n, first).location : notes[0]!.location,
    related: notes,
  };
}

/** Cycles among all the images of the file, Dockerfile edges included (`edges`: the graph's, when the caller has them). */
export function dockerfileCycles(
  file: BuildFile,
  dockerfiles: ReadonlyMap<string, ImageDockerfile>,
  edges: ReadonlyMap<string, readonly Edge[]> = edgesOf(file, new Map([...dockerfiles].map(([name, df]) => [name, df.refs]))),
): Diagnostic[] {
  const cycles = cyclesAmong(edges, file.images.keys());
  if (cycles.length === 0) return [];
  const context: NoteContext = { file, dockerfiles, written: references(file) };
  return cycles.map((c) => cycleDiagnostic(context, c));
}
