/**
 * The library's public types: what `load`, `plan` and `build` take and give. Every expected
 * problem is a value (`Result`); a rejected promise is a defect of mbuild.
 */
import type { Diagnostic } from '../core/diagnostic.js';
import type { Result } from '../core/result.js';
import type { BuildEvent, ImageResult } from '../core/events.js';
import type { BuilderKind, Endpoint } from '../docker/engine.js';
import type { BuildPlan } from '../plan/types.js';

export type { Result } from '../core/result.js';
export type { Diagnostic, Location, Range, RelatedInformation, Severity, SourceFile } from '../core/diagnostic.js';
export type { BuildEvent, EmitEvent, Failure, ImageOutcome, ImageResult } from '../core/events.js';
export type { BuildPlan, Edge, EdgeKind, PlannedImage } from '../plan/types.js';
export type { BuilderKind, Endpoint } from '../docker/engine.js';

/** Where the build file is and what it is read with; the CLI's `-f`, `--var`, `--env-file`. */
export interface LoadOptions {
  /** A build file or a folder (`-f`); absent: `mbuild.yaml` (else a compose file) in `cwd`. */
  readonly file?: string;
  /** Default: `process.cwd()`. */
  readonly cwd?: string;
  /** The environment `${VAR}` reads, and the engine's (`DOCKER_HOST`, `DOCKER_CONTEXT`). Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** `--var NAME=VALUE`: over the environment, the env files and `vars`. */
  readonly vars?: Readonly<Record<string, string>>;
  /** `--env-file PATH` (relative to `cwd`); absent: `.env` beside the build file, if any. */
  readonly envFiles?: readonly string[];
  /** Images or groups to plan (and build); absent or empty: the file's default selection. */
  readonly names?: readonly string[];
}

/** A build file loaded and planned: every static check passed. */
export interface Project {
  /** The build file's absolute path. */
  readonly path: string;
  /** The project's root folder (the build file's folder). */
  readonly root: string;
  /** The project's name (`name:` of the build file, else its folder's). */
  readonly name: string;
  /** Every image of the build file, sorted by name. */
  readonly images: readonly string[];
  /** The plan of the selection: images in build order, edges, waves, the critical path. */
  readonly plan: BuildPlan;
  /** Warnings (and no errors) of every check. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Why a call stopped before its work: the CLI's exit 2 (`invalid-*`) or 1 (the rest). */
export type ApiFailure =
  /** An option that cannot be used (a `--var`, an engine endpoint, a tag to push). */
  | { readonly reason: 'invalid-input'; readonly message: string }
  /** The build file, or what it names, has errors: every diagnostic at once. */
  | { readonly reason: 'invalid-build-file'; readonly diagnostics: readonly Diagnostic[] }
  /** The engine cannot be reached, or lacks what was asked (BuildKit). */
  | { readonly reason: 'engine-unavailable'; readonly message: string }
  /** A context that must be read cannot be. */
  | { readonly reason: 'context-unreadable'; readonly message: string };

/** The engine a call talks to: the docker CLI's endpoint (`-H`, `DOCKER_HOST`, a docker context) unless `host` says. */
export interface EngineOptions {
  /** `-H/--host`, e.g. `unix:///var/run/docker.sock`. */
  readonly host?: string;
  /** Default `auto`: BuildKit when the engine has it. */
  readonly builder?: 'auto' | BuilderKind;
}

/** What `up` would do to one image: up to date (its image ID), or built, and why. */
export type Prediction =
  | { readonly image: string; readonly fresh: true; readonly imageId: string }
  | { readonly image: string; readonly fresh: false; readonly reasons: readonly string[] };

/** `mbuild plan`'s answer: the plan, and the engine's predictions when it answered. */
export interface PlanReport {
  readonly plan: BuildPlan;
  readonly engine: Endpoint;
  /** Absent when the engine could not be asked (`note` says why). */
  readonly predictions?: readonly Prediction[];
  readonly note?: string;
  /** Warnings said while planning (e.g. a stat cache that could not be read). */
  readonly warnings: readonly string[];
}

/** `mbuild up`'s flags. */
export interface BuildOptions extends EngineOptions {
  /** Aborting it cancels running builds on the engine and starts nothing new (the CLI's Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Every event of the run, in order, as `--progress json` has them (without `version`). */
  readonly onEvent?: (event: BuildEvent) => void;
  /** Builds at once (`-j`); default: the CLI's default, the number of cores. */
  readonly jobs?: number;
  readonly keepGoing?: boolean;
  readonly noCache?: boolean;
  /** `false`: build, but copy no `outputs` to the host (`--no-outputs`). */
  readonly outputs?: boolean;
  /** `--push`: push every selected image's tags. */
  readonly push?: boolean;
  readonly cacheTo?: string;
  readonly cacheFrom?: readonly string[];
  /** After a successful run, remove superseded images as `up` does (the build file's `gc:`); default true. */
  readonly gc?: boolean;
}

/** The run's report: one result per image; `interrupted` when the signal aborted it. */
export interface BuildReport {
  readonly results: readonly ImageResult[];
  readonly interrupted: boolean;
  readonly durationMs: number;
  /** Whether every image was built or up to date, and the run was not interrupted (the CLI's exit 0). */
  readonly ok: boolean;
  /** What the CLI would have printed as warnings (and the garbage policy's line). */
  readonly warnings: readonly string[];
}

export type LoadResult = Result<Project, ApiFailure>;
export type PlanResult = Result<PlanReport, ApiFailure>;
export type BuildResult = Result<BuildReport, ApiFailure>;
