/**
 * The narrow interface mbuild needs from a Docker Engine. `docker/http-engine.ts`
 * implements it over a transport chosen by `docker/connect.ts` (node:http, or dockerode
 * for ssh; only `docker/dockerode-engine.ts` imports dockerode); everything else
 * (execute/, cli/) depends on this interface alone.
 */
import type { Duplex, Readable } from 'node:stream';

/**
 * Where the endpoint came from, printed in "cannot connect" errors and in `plan`'s engine
 * line: the `--host` flag, DOCKER_HOST, a docker context named by DOCKER_CONTEXT or by
 * `currentContext` in the docker CLI's config.json, or the default socket.
 */
export type EndpointSource = '--host' | '--engine' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'currentContext' | 'default';

export interface Endpoint {
  /** e.g. `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2376`, `ssh://user@host`. */
  readonly url: string;
  readonly source: EndpointSource;
  /** The docker context, when DOCKER_CONTEXT or currentContext named one (`default` included). */
  readonly context?: string;
  /** The config.json whose `currentContext` named the context. */
  readonly configFile?: string;
  /** A docker context that `--host` or DOCKER_HOST took precedence over, e.g. `DOCKER_CONTEXT "x"`. */
  readonly overrides?: string;
}

/**
 * Where an endpoint came from, in words: `the default endpoint`, `from DOCKER_HOST`,
 * `docker context "x", named by DOCKER_CONTEXT`; and the context it took precedence over.
 */
export function endpointOrigin(e: Endpoint): string {
  const context = `docker context "${e.context ?? ''}", named by ${e.source === 'currentContext' ? `currentContext in ${e.configFile ?? 'config.json'}` : e.source}`;
  const origin = e.context !== undefined ? context : e.source === 'default' ? 'the default endpoint' : `from ${e.source}`;
  return e.overrides === undefined ? origin : `${origin}, which takes precedence over ${e.overrides}`;
}

export interface EngineInfo {
  /** The engine's version (`Server: Docker/<version>` on `/_ping`, else `/version`), for messages. */
  readonly serverVersion: string;
  /** The API version negotiated for every request, e.g. `1.41`. */
  readonly apiVersion: string;
  readonly os: string;
  /** True when `POST /build?version=2` is available (BuildKit). */
  readonly buildkit: boolean;
}

export type BuilderKind = 'buildkit' | 'classic';

export interface BuildRequest {
  /** An uncompressed tar stream of the whole context, Dockerfile included. */
  readonly context: Readable;
  /** Path of the Dockerfile inside the context tar. */
  readonly dockerfile: string;
  readonly builder: BuilderKind;
  /** Unique per build; used for BuildKit's `POST /build/cancel`. */
  readonly buildId: string;
  readonly target?: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** `default` | `none` | `host`. */
  readonly network?: string;
  readonly platform?: string;
  readonly pull: boolean;
  readonly noCache: boolean;
  /** `X-Registry-Config`: credentials per registry, for the classic builder's `FROM` pulls. */
  readonly registryConfig?: string;
  /** A BuildKit session (session/) that serves this build's secrets, ssh agents and registry logins. */
  readonly session?: string;
}

/** What `POST /session` announces (moby `session/session.go`). */
export interface SessionDial {
  /** Unique per session (`X-Docker-Expose-Session-Uuid`). */
  readonly id: string;
  /** Free text, for the daemon's logs. */
  readonly name: string;
  /** `X-Docker-Expose-Session-Sharedkey`: a hint for local syncs. */
  readonly sharedKey: string;
  /** The gRPC methods served, `/<package.Service>/<Method>`. */
  readonly methods: readonly string[];
  readonly signal?: AbortSignal;
}

/** What a push or pull of one tag is given. */
export interface RegistryTransfer {
  /** `X-Registry-Auth` (registry/credentials.ts `authHeader`); `e30=` for anonymous. */
  readonly auth: string;
  readonly signal?: AbortSignal;
  /** Bytes moved so far and in all, summed over the image's layers. */
  readonly onProgress?: (current: number, total: number) => void;
  /**
   * A transfer that shows nothing for `ms` (no answer, then no line of progress) is dropped
   * and rejects with an EngineError naming `registry`: the engine itself never gives up on a
   * registry that accepts connections and then says nothing.
   */
  readonly stall?: { readonly ms: number; readonly registry: string };
}

/** Progress decoded from the build stream (classic JSON or BuildKit trace protobuf). */
export type BuildStreamEvent =
  /** A step (BuildKit vertex, classic `Step n/m`) started. `name` is e.g. `[2/3] RUN make`. */
  | { readonly type: 'step-started'; readonly stepId: string; readonly name: string }
  | { readonly type: 'step-completed'; readonly stepId: string; readonly name: string; readonly cached: boolean; readonly error?: string }
  /** Output of a step (or of the builder when `stepId` is absent), one or more whole lines. */
  | { readonly type: 'log'; readonly stepId?: string; readonly text: string }
  | { readonly type: 'warning'; readonly text: string };

export type BuildOutcome =
  | { readonly kind: 'succeeded'; readonly imageId: string }
  | {
      readonly kind: 'failed';
      readonly message: string;
      /** The step that failed, when the stream says which. */
      readonly step?: { readonly stepId: string; readonly name: string };
    }
  | { readonly kind: 'cancelled' };

export interface ImageInfo {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly size: number;
  readonly created: string;
  /** `RootFS.Layers` diff IDs, oldest first. */
  readonly layers: readonly string[];
  readonly hasCmd: boolean;
  /** `Config.OnBuild`: triggers a build FROM this image runs. */
  readonly onBuild: readonly string[];
  /** `Config.Env`, `NAME=value` lines. */
  readonly env: readonly string[];
}

export interface ImageSummary {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** The image it was committed on (the classic builder's step images); absent for BuildKit's. */
  readonly parentId?: string;
}

export interface ContainerSummary {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The ID of the image it was created from (running or stopped). */
  readonly imageId: string;
}

export interface ArchiveStat {
  readonly name: string;
  readonly size: number;
  readonly mode: number;
  readonly linkTarget: string;
}

export interface Engine {
  readonly endpoint: Endpoint;
  /** Negotiates the API version. Fails fast (< 2 s) when the daemon cannot be reached. */
  info(signal?: AbortSignal): Promise<EngineInfo>;
  /**
   * Runs one build to exactly one outcome. Never throws for build failures; throws only
   * for transport errors before the stream starts (wrapped as EngineError). No idle timeout.
   * Aborting `signal` drops the request (and for BuildKit calls `/build/cancel`) → `cancelled`.
   */
  build(req: BuildRequest, opts: { signal: AbortSignal; onEvent: (e: BuildStreamEvent) => void }): Promise<BuildOutcome>;
  /** `undefined` when no such image exists. `signal` drops the request (a pool's probe of an engine that hangs). */
  inspectImage(ref: string, signal?: AbortSignal): Promise<ImageInfo | undefined>;
  /** The images with every label of `labels` and, with `reference`, a tag that matches that pattern (`mbuild-key/shop/*`). */
  listImages(filter: { labels: readonly string[]; reference?: string }): Promise<ImageSummary[]>;
  /** `tag` is `repo:tag`. */
  tagImage(imageId: string, tag: string): Promise<void>;
  removeImage(ref: string, opts?: { force?: boolean; noPrune?: boolean }): Promise<void>;
  /** Creates (never starts) a container; gives images with no CMD a dummy command. */
  createContainer(image: string, labels: Readonly<Record<string, string>>): Promise<string>;
  /** `GET /containers/{id}/archive?path=`; `undefined` when the path does not exist (404). */
  getArchive(containerId: string, path: string, signal?: AbortSignal): Promise<{ stat: ArchiveStat; stream: Readable } | undefined>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter: { labels: readonly string[] }): Promise<ContainerSummary[]>;
  /**
   * `POST /images/{repo}/push?tag=`: resolves with the digest the registry gave. Rejects with
   * EngineError carrying the engine's or the registry's message, whether it came as an HTTP
   * error or as an error line after the stream began.
   */
  pushImage(repo: string, tag: string, o: RegistryTransfer): Promise<{ readonly digest: string }>;
  /** `POST /images/create?fromImage=&tag=`: pulls one tag; rejects like `pushImage`. */
  pullImage(repo: string, tag: string, o: RegistryTransfer): Promise<void>;
  /**
   * `POST /session` upgraded to h2c, as the docker CLI opens a BuildKit session: the raw
   * stream on which the client serves gRPC (roles inverted: the daemon is the client).
   * The daemon forgets the session when the stream ends. Rejects with EngineError.
   */
  dialSession(o: SessionDial): Promise<Duplex>;
  /** `GET /images/{name}/get`: a `docker save` tar stream. */
  exportImage(ref: string, signal?: AbortSignal): Promise<Readable>;
  /**
   * `POST /images/load?quiet=1`: loads a `docker save` tar stream (e.g. another engine's
   * `exportImage`), read as it comes, no temp file. Rejects with EngineError when the engine
   * refuses it or reports an error in its answer.
   */
  loadImage(tar: Readable, signal?: AbortSignal): Promise<void>;
}

/** A transport-level failure (daemon unreachable, HTTP error), with the endpoint it concerned. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly endpoint: Endpoint,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
