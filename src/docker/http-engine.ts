/**
 * The Engine methods, written against a Transport (so no dockerode here). Owns: which
 * endpoint each method calls and how, HTTP status → result/EngineError mapping (404 →
 * undefined where the contract says so), and the build request's lifecycle: upload the
 * uncompressed tar, drive the response through BuildStreamParser to exactly one outcome,
 * and on abort drop the request (plus `POST /build/cancel` for BuildKit).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import * as wire from './api-json.js';
import { BuildStreamParser } from './build-stream.js';
import { EngineError } from './engine.js';
import type {
  ArchiveStat,
  BuildOutcome,
  BuildRequest,
  BuildStreamEvent,
  ContainerSummary,
  Engine,
  EngineInfo,
  ImageInfo,
  ImageSummary,
  RegistryTransfer,
  SessionDial,
} from './engine.js';
import type { Duplex } from 'node:stream';
import { readProgress, type ProgressResult } from './progress-stream.js';
import { StallTimer } from './stall.js';
import { readText, type SendOptions, type Transport } from './transport.js';
import { messageOf } from '../core/result.js';

/** How long a BuildKit `POST /build/cancel` may take before `build()` reports `cancelled` anyway. */
const CANCEL_TIMEOUT_MS = 2000;
const CANCELLED: BuildOutcome = { kind: 'cancelled' };

/** Path segments escaped, slashes kept (`localhost:5000/x:1` stays one image name). */
const seg = (name: string): string => name.split('/').map(encodeURIComponent).join('/');

export class HttpEngine implements Engine {
  constructor(private readonly t: Transport) {}

  get endpoint(): Engine['endpoint'] {
    return this.t.endpoint;
  }

  info(signal?: AbortSignal): Promise<EngineInfo> {
    return this.t.ready(signal);
  }

  dialSession(o: SessionDial): Promise<Duplex> {
    const headers = {
      'X-Docker-Expose-Session-Uuid': o.id,
      'X-Docker-Expose-Session-Name': o.name,
      'X-Docker-Expose-Session-Sharedkey': o.sharedKey,
      'X-Docker-Expose-Session-Grpc-Method': o.methods,
    };
    return this.t.upgrade('/session', { protocol: 'h2c', headers, ...(o.signal && { signal: o.signal }) });
  }

  /** Negotiates, sends, and turns a non-2xx status into EngineError (or `null` for an allowed 404). */
  private async checked(
    what: string,
    method: string,
    path: string,
    o: SendOptions & { allow404?: (message: string) => boolean } = {},
  ): Promise<IncomingMessage | null> {
    await this.t.ready(o.signal);
    const res = await this.t.send(method, path, o);
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const message = wire.errorMessage(await readText(res));
    if (status === 404 && o.allow404?.(message)) return null;
    throw new EngineError(`${what}: ${message} (HTTP ${status})`, this.t.endpoint, status);
  }

  /** `checked` + the body parsed as JSON (undefined when empty). */
  private async json(what: string, method: string, path: string, o: SendOptions & { allow404?: (message: string) => boolean } = {}): Promise<unknown> {
    const res = await this.checked(what, method, path, o);
    if (res === null) return null;
    const body = await readText(res);
    if (body.trim() === '') return undefined;
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new EngineError(`${what}: the engine answered with invalid JSON`, this.t.endpoint, res.statusCode);
    }
  }

  async build(req: BuildRequest, opts: { signal: AbortSignal; onEvent: (e: BuildStreamEvent) => void }): Promise<BuildOutcome> {
    const { signal, onEvent } = opts;
    const dropContext = (): void => {
      if (!req.context.destroyed) req.context.destroy();
    };
    // A context that fails to stream (unreadable file…) breaks the upload: report it as such, not as a transport error.
    let contextError: Error | undefined;
    req.context.once('error', (e: Error) => (contextError = e));
    const contextFailed = (): BuildOutcome => ({ kind: 'failed', message: `the build context could not be read: ${contextError?.message ?? 'unknown error'}` });
    let dispatched = false;
    const cancelled = async (): Promise<BuildOutcome> => {
      dropContext();
      if (dispatched && req.builder === 'buildkit') await this.cancelBuildkit(req.buildId, onEvent);
      return CANCELLED;
    };
    let res: IncomingMessage;
    try {
      if (signal.aborted) return await cancelled();
      await this.t.ready(signal);
      const headers = { 'Content-Type': 'application/x-tar', ...(req.registryConfig !== undefined && { 'X-Registry-Config': req.registryConfig }) };
      dispatched = true;
      res = await this.t.send('POST', '/build', { query: wire.buildQuery(req), file: req.context, signal, headers });
    } catch (e) {
      if (signal.aborted) return cancelled();
      dropContext();
      if (contextError) return contextFailed();
      throw e;
    }
    if (res.statusCode !== 200) {
      // Errors found before any output (classic: a Dockerfile syntax error) come as an HTTP error.
      const body = await readText(res).catch(() => '');
      dropContext();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- it may abort during the awaits above; TypeScript keeps the narrowing of the check before them
      return signal.aborted ? cancelled() : { kind: 'failed', message: wire.errorMessage(body) };
    }
    const outcome = await driveBuildStream(res, signal, onEvent);
    if (outcome.kind === 'cancelled') return cancelled();
    dropContext();
    return outcome.kind === 'failed' && contextError ? contextFailed() : outcome;
  }

  /** `POST /build/cancel?id=`: makes BuildKit stop the solve even if the daemon has not yet noticed the dropped request. */
  private async cancelBuildkit(buildId: string, onEvent: (e: BuildStreamEvent) => void): Promise<void> {
    try {
      const res = await this.t.send('POST', '/build/cancel', { query: { id: buildId }, signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) });
      const body = await readText(res);
      if (res.statusCode !== 200) onEvent({ type: 'warning', text: `POST /build/cancel?id=${buildId}: ${wire.errorMessage(body)} (HTTP ${res.statusCode!})` });
    } catch (e) {
      onEvent({ type: 'warning', text: `could not cancel BuildKit build ${buildId}: ${messageOf(e)}` });
    }
  }

  async inspectImage(ref: string, signal?: AbortSignal): Promise<ImageInfo | undefined> {
    const json = await this.json(`inspecting image ${ref}`, 'GET', `/images/${seg(ref)}/json`, { allow404: () => true, ...(signal && { signal }) });
    return json === null ? undefined : wire.toImageInfo(json);
  }

  async listImages(filter: { labels: readonly string[]; reference?: string }): Promise<ImageSummary[]> {
    const filters = wire.labelFilters(filter.labels, filter.reference);
    return wire.toImageSummaries(await this.json('listing images', 'GET', '/images/json', { query: { filters } }));
  }

  async tagImage(imageId: string, tag: string): Promise<void> {
    const what = `tagging ${imageId} as ${tag}`;
    let query: { repo: string; tag: string };
    try {
      query = wire.splitRepoTag(tag);
    } catch (e) {
      throw new EngineError(`${what}: ${messageOf(e)}`, this.t.endpoint);
    }
    await this.json(what, 'POST', `/images/${seg(imageId)}/tag`, { query });
  }

  async removeImage(ref: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<void> {
    const query = { force: opts.force ? '1' : '0', noprune: opts.noPrune ? '1' : '0' };
    await this.json(`removing image ${ref}`, 'DELETE', `/images/${seg(ref)}`, { query });
  }

  async createContainer(image: string, labels: Readonly<Record<string, string>>): Promise<string> {
    const what = `creating a container from ${image}`;
    const info = await this.inspectImage(image);
    if (info === undefined) throw new EngineError(`${what}: no such image`, this.t.endpoint, 404);
    // `docker create` refuses an image with neither CMD nor ENTRYPOINT; the container is never started.
    const body = { Image: image, Labels: { ...labels }, HostConfig: { NetworkMode: 'none' }, ...(info.hasCmd ? {} : { Cmd: ['/mbuild-noop'] }) };
    const id = wire.str(wire.rec(await this.json(what, 'POST', '/containers/create', { body }))['Id']);
    if (id === '') throw new EngineError(`${what}: the engine returned no container ID`, this.t.endpoint);
    return id;
  }

  async getArchive(containerId: string, path: string, signal?: AbortSignal): Promise<{ stat: ArchiveStat; stream: Readable } | undefined> {
    const what = `reading ${path} from container ${containerId}`;
    // 404 means either "no such path" (→ undefined) or "no such container" (→ error).
    const allow404 = (message: string): boolean => !/no such container/i.test(message);
    const res = await this.checked(what, 'GET', `/containers/${seg(containerId)}/archive`, { query: { path }, allow404, ...(signal && { signal }) });
    if (res === null) return undefined;
    const stat = wire.parsePathStat(res.headers['x-docker-container-path-stat']);
    if (stat === undefined) {
      res.destroy();
      throw new EngineError(`${what}: the engine sent no valid X-Docker-Container-Path-Stat header`, this.t.endpoint);
    }
    return { stat, stream: res };
  }

  async removeContainer(id: string): Promise<void> {
    // v=1: a created container gets the image's anonymous volumes; remove them with it.
    await this.json(`removing container ${id}`, 'DELETE', `/containers/${seg(id)}`, { query: { force: '1', v: '1' } });
  }

  async listContainers(filter: { labels: readonly string[] }): Promise<ContainerSummary[]> {
    const query = { all: '1', filters: wire.labelFilters(filter.labels) };
    return wire.toContainerSummaries(await this.json('listing containers', 'GET', '/containers/json', { query }));
  }

  pushImage(repo: string, tag: string, o: RegistryTransfer): Promise<{ readonly digest: string }> {
    return this.transfer(`pushing ${repo}:${tag}`, `/images/${seg(repo)}/push`, { tag }, o).then((r) => {
      if (r.digest === undefined) throw new EngineError(`pushing ${repo}:${tag}: the engine reported no digest`, this.t.endpoint);
      return { digest: r.digest };
    });
  }

  async pullImage(repo: string, tag: string, o: RegistryTransfer): Promise<void> {
    await this.transfer(`pulling ${repo}:${tag}`, '/images/create', { fromImage: repo, tag }, o);
  }

  /** A push or pull: the HTTP status, then every line of the stream, checked for an error. */
  private async transfer(what: string, path: string, query: Record<string, string>, o: RegistryTransfer): Promise<ProgressResult> {
    const headers = { 'X-Registry-Auth': o.auth };
    const stall = o.stall === undefined ? undefined : new StallTimer(o.stall.ms, o.signal);
    const signal = stall?.signal ?? o.signal;
    try {
      const res = await this.checked(what, 'POST', path, { query, headers, ...(signal && { signal }) });
      if (res === null) throw new EngineError(`${what}: not found`, this.t.endpoint, 404);
      if (stall !== undefined) res.on('data', () => stall.touch());
      const result = await readProgress(res, signal, o.onProgress);
      if (result.error !== undefined) throw new EngineError(`${what}: ${result.error}`, this.t.endpoint);
      return result;
    } catch (e) {
      if (stall?.stalled === true && o.stall !== undefined)
        throw new EngineError(`${what}: no progress for ${o.stall.ms / 1000} s: the registry ${o.stall.registry} does not answer; dropped`, this.t.endpoint);
      throw e;
    } finally {
      stall?.dispose();
    }
  }

  async exportImage(ref: string, signal?: AbortSignal): Promise<Readable> {
    const res = await this.checked(`exporting image ${ref}`, 'GET', `/images/${seg(ref)}/get`, signal ? { signal } : {});
    if (res === null) throw new EngineError(`exporting image ${ref}: not found`, this.t.endpoint, 404);
    return res;
  }

  async loadImage(tar: Readable, signal?: AbortSignal): Promise<void> {
    const headers = { 'Content-Type': 'application/x-tar' };
    const res = await this.checked('loading images', 'POST', '/images/load', { query: { quiet: '1' }, file: tar, headers, ...(signal && { signal }) });
    if (res === null) throw new EngineError('loading images: not found', this.t.endpoint, 404);
    const result = await readProgress(res, signal);
    if (result.error !== undefined) throw new EngineError(`loading images: ${result.error}`, this.t.endpoint);
  }
}

/**
 * Feeds a 200 `POST /build` response to the parser until it ends, breaks, or `signal`
 * aborts (→ the response is destroyed and the outcome is `cancelled`). Rejects only when
 * `onEvent` throws, after stopping the build.
 */
function driveBuildStream(res: IncomingMessage, signal: AbortSignal, onEvent: (e: BuildStreamEvent) => void): Promise<BuildOutcome> {
  const parser = new BuildStreamParser(onEvent);
  return new Promise<BuildOutcome>((resolve, reject) => {
    let settled = false;
    const settle = (o: BuildOutcome | Error): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (o instanceof Error) reject(o);
      else resolve(o);
    };
    const onAbort = (): void => {
      res.destroy();
      settle(CANCELLED);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (e) {
        res.destroy();
        settle(e instanceof Error ? e : new Error(String(e)));
      }
    });
    res.on('end', () => settle(parser.finish()));
    res.on('error', (e) => settle(signal.aborted ? CANCELLED : parser.finish(`connection lost: ${e.message}`)));
    res.on('close', () => settle(signal.aborted ? CANCELLED : parser.finish('the connection closed before the stream ended')));
    if (signal.aborted) onAbort();
  });
}
