/**
 * The plan: pure, serialisable data computed from a BuildFile and the references found
 * in its Dockerfiles. `mbuild plan --format json` prints it as it is.
 */
import type { BuildFile } from '../config/types.js';

export type EdgeKind = 'args' | 'mounts' | 'contexts' | 'depends_on' | 'from' | 'copy-from' | 'mount-from';

export interface Edge {
  /** The upstream image this one waits for. */
  readonly image: string;
  readonly kind: EdgeKind;
  /** Human detail: the arg name, mount path, or `Dockerfile:3 FROM shop/base:dev`. */
  readonly detail: string;
}

export interface PlannedImage {
  readonly name: string;
  /** The image's tags, from the build file: reported with each result. */
  readonly tags: readonly string[];
  /** Upstream edges, sorted by image then kind. */
  readonly dependsOn: readonly Edge[];
  /** Downstream image names, sorted. */
  readonly dependents: readonly string[];
  /** Wave (level) for display only: 0 has no upstream; the scheduler does not wait for waves. */
  readonly wave: number;
  /** Images on the longest downstream chain starting here, itself included: the scheduling priority. */
  readonly remainingPath: number;
}

export interface BuildPlan {
  readonly project: string;
  /** Names as requested (images or groups); empty means the default selection. */
  readonly requested: readonly string[];
  /** Every image to build, in a topological order (upstream first; ties by priority then name). */
  readonly images: readonly PlannedImage[];
  readonly waves: readonly (readonly string[])[];
  /** The longest dependency chain, upstream first. */
  readonly criticalPath: readonly string[];
}

/**
 * A plan with the build file it was made from: all that the executor, watch and the commands
 * need of a load, as one value (load/load-plan.ts makes it).
 */
export interface Planned {
  readonly file: BuildFile;
  readonly plan: BuildPlan;
}

/** An image reference found in a Dockerfile (FROM, COPY --from, RUN --mount=from), after ARG substitution. */
export interface DockerfileReference {
  readonly ref: string;
  readonly line: number;
  readonly kind: 'from' | 'copy-from' | 'mount-from';
}
