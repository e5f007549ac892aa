/**
 * The edges `mbuild init` can see in a Dockerfile: a `FROM`, `COPY --from=` or
 * `RUN --mount=from=` whose image (after the ARG defaults) is another scaffolded image.
 * Written as `args: {X: {image: NAME}}` when the reference is exactly `${X}` or `$X` (the way
 * mbuild reads an edge whatever the tags are); any other is only said, as a comment.
 */
import { parseDockerfile } from '../dockerfile/parse.js';
import { REFERENCE_PREFIX, resolveStages, type StageReference } from '../dockerfile/stages.js';

export interface ArgEdge {
  readonly arg: string;
  readonly image: string;
  readonly line: number;
  /** e.g. `FROM ${BASE}`. */
  readonly written: string;
}

export interface NoteEdge {
  readonly image: string;
  readonly line: number;
  readonly written: string;
}

export type Seen =
  | { readonly ok: true; readonly args: readonly ArgEdge[]; readonly notes: readonly NoteEdge[] }
  /** The Dockerfile has errors: `line: message`. */
  | { readonly ok: false; readonly problems: readonly string[] };

/** `${X}` or `$X` alone: the arg X. */
const WHOLE_ARG = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

/** `registry:5000/shop/base:dev@sha256:...` -> `base`: the last component of the repository. */
export function repositoryName(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return (colon === -1 ? last : last.slice(0, colon)).toLowerCase();
}

/**
 * The edges of one Dockerfile. `imageOf`: the scaffolded image a reference names (by its
 * repository's last component, or the default tag `PROJECT-NAME`), if any; `self` is never one.
 */
export function seeEdges(text: string, self: string, imageOf: (ref: string) => string | undefined): Seen {
  const parsed = parseDockerfile(text);
  const graph = resolveStages(parsed);
  const problems = [...parsed.errors, ...graph.errors].map((p) => `line ${p.line}: ${p.message}`);
  if (problems.length > 0) return { ok: false, problems };
  const args = new Map<string, ArgEdge>();
  const notes: NoteEdge[] = [];
  const refs: StageReference[] = graph.stages.flatMap((s) => s.references);
  for (const r of refs) {
    if (r.source.kind !== 'image') continue;
    const image = imageOf(r.source.ref);
    if (image === undefined || image === self) continue;
    const written = `${REFERENCE_PREFIX[r.kind]}${r.text}`;
    const m = WHOLE_ARG.exec(r.text);
    const arg = m?.[1] ?? m?.[2];
    const known = arg === undefined ? undefined : args.get(arg);
    if (arg !== undefined && (known === undefined || known.image === image)) {
      if (known === undefined) args.set(arg, { arg, image, line: r.line, written });
    } else notes.push({ image, line: r.line, written });
  }
  return { ok: true, args: [...args.values()], notes };
}
