/**
 * Everything that can change an image's result, collected locally before any context
 * byte is sent: Dockerfile and .dockerignore text, every context entry the build reads
 * (`context-hash.ts`: path, type, mode, content hash, link target; not mtime, not uid),
 * what it reads (`dockerfile/reads.ts`, or the whole context and why), resolved args,
 * target, platform, network, pull, labels, builder kind, the local IDs of external base
 * images, the IDs of the in-file images the build reads (not those of `depends_on`, which
 * only orders) and of mounted images; the ids of its secrets and ssh forwardings, and with
 * `secret_in_key` a salted slow hash of each secret's value (`secret-hash.ts`), never the value.
 */
import { createHash } from 'node:crypto';
import type { BuildFile, ImageSpec } from '../config/types.js';
import { ReadSet } from '../context/read-set.js';
import { planContext, type ContextPlanError } from '../context/source.js';
import { namesOnePath } from '../dockerfile/reads.js';
import { mountedAt } from '../core/overlap.js';
import { byText } from '../core/order.js';
import { err, ok, type Result } from '../core/result.js';
import { readSecretValue } from '../core/secret-value.js';
import type { BuilderKind, Engine, ImageInfo } from '../docker/engine.js';
import { parseDockerfile, type ParsedDockerfile } from '../dockerfile/parse.js';
import { planningArgs } from '../dockerfile/images.js';
import { referencedImages } from '../dockerfile/stages.js';
import { checkedDiffSideRefs } from '../dockerfile/diff-refs.js';
import { referenceTarget } from '../plan/graph.js';
import { hashContext, type FileInput } from './context-hash.js';
import { dockerfileText, imageReads, type BaseFacts, type KnownDockerfiles } from './image-reads.js';
import { secretDigest } from './secret-hash.js';
import type { StatCache } from './stat-cache.js';

export { hashFile, type FileInput } from './context-hash.js';

export const KEY_VERSION = 'mbuild-key-2';

/** The ID of an upstream that a prediction knows will be rebuilt first: its new ID is not known yet. */
export const PENDING = 'pending';

export interface ImageInputs {
  readonly version: typeof KEY_VERSION;
  readonly builder: BuilderKind;
  readonly dockerfile: string;
  /** Where the Dockerfile travels in the context tar. */
  readonly dockerfileInTar: string;
  readonly ignore: string | null;
  readonly target: string | null;
  readonly platform: string | null;
  readonly network: string | null;
  readonly pull: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Literal values, and `image:<name>` for `{image:}` args (their IDs are under `upstream`). */
  readonly args: Readonly<Record<string, string>>;
  /** External image references in the Dockerfile -> local image ID, or `missing`. */
  readonly bases: Readonly<Record<string, string>>;
  /** In-file images this one's build reads (not `depends_on` alone) -> their built IDs. */
  readonly upstream: Readonly<Record<string, string>>;
  /** `from path to` -> the ID(s) of the mounted image(s). */
  readonly mounts: Readonly<Record<string, string>>;
  /** The context paths the build reads (wildcards kept, followed links added), or null: the whole context. */
  readonly reads: readonly string[] | null;
  /** Why the whole context is read, or null. */
  readonly whole: string | null;
  readonly files: readonly FileInput[];
  /**
   * Only when the image declares secrets (keys of other images are unchanged): by id,
   * `unkeyed` (`secret_in_key: false`, the default) or the value's `secretDigest`.
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Only when the image forwards ssh: the ids (what a key or agent holds is no input). */
  readonly ssh?: readonly string[];
  /** Only for `context: {image, path}`: the source image's ID and the path (the ID fixes every file, so `files` is empty). */
  readonly context?: { readonly image: string; readonly path: string };
}

/** What a secret puts in the key when `secret_in_key` is false. */
export const UNKEYED = 'unkeyed';

/** A base image as the key needs it: its local ID (or `missing`), and what decides what its child reads. */
export interface BaseImage extends BaseFacts {
  readonly id: string;
}

export interface CollectOptions {
  readonly file: BuildFile;
  readonly image: ImageSpec;
  readonly builder: BuilderKind;
  /**
   * Built IDs of the in-file images this one waits for (`PENDING` for one a prediction
   * knows will be rebuilt). Only those its build reads enter the key: a `depends_on`
   * edge orders, it is no input.
   */
  readonly upstream: ReadonlyMap<string, string>;
  readonly engine: Pick<Engine, 'inspectImage'>;
  readonly statCache: StatCache;
  /**
   * Local IDs of external base images, shared by the images of one run (each base is
   * inspected once per run, not once per image). Default: inspected per call.
   */
  readonly baseIds?: Map<string, Promise<BaseImage>>;
  /** Dockerfiles already read and parsed by this process (image-reads.ts): not read again. */
  readonly dockerfiles?: KnownDockerfiles;
}

export async function collectInputs(o: CollectOptions): Promise<Result<ImageInputs, ContextPlanError>> {
  const { image } = o;
  if (image.contextImage !== undefined) throw new Error(`Internal error: ${image.name} has its context in an image (cache/context-image-inputs.ts)`);
  const known = o.dockerfiles?.get(image.name);
  const text = known !== undefined ? ok(known.source.text) : dockerfileText(image, o.file.root);
  if (!text.ok) return text;
  const dockerfile = text.value;
  const parsed = known?.parsed ?? parseDockerfile(dockerfile);
  const read = await readInputs(o, parsed);
  const reads = await imageReads(o.file, image, parsed, (ref) => baseFacts(o, ref, read.bases), o.builder, o.dockerfiles, read.refs);
  const plan = await planContext({
    contextDir: image.context,
    dockerfile: image.dockerfile.kind === 'file' ? { path: image.dockerfile.path } : { text: dockerfile },
    builder: o.builder,
    ...(reads.kind === 'paths' && { select: new ReadSet(reads.reads.map((r) => r.path)) }),
  });
  if (!plan.ok) return err(plan.error);
  const session = sessionInputs(o.file, image);
  if (!session.ok) return session;
  const hashed = await hashContext(plan.value, plan.value.select, o.statCache);
  const missing = reads.kind === 'paths' ? reads.reads.find((r) => namesOnePath(r) && !mountedAt(r.path, image.mounts) && !hashed.found(r.path)) : undefined;
  if (missing !== undefined) {
    const why = plan.value.matcher.matches(missing.path) ? 'excluded by .dockerignore' : 'no such file or folder in the context';
    return err({ kind: 'input-missing', path: dockerfilePath(o), line: missing.line, message: `${missing.text}: ${missing.written}: ${why}` });
  }
  return ok({
    version: KEY_VERSION,
    builder: o.builder,
    dockerfile,
    dockerfileInTar: plan.value.dockerfileInTar,
    ignore: plan.value.ignore?.text ?? null,
    ...buildSettings(image, read),
    // Only what the build reads: a `depends_on` edge orders, it is no input.
    upstream: Object.fromEntries([...o.upstream].filter(([name]) => read.images.has(name)).sort(([x], [y]) => byText(x, y))),
    mounts: read.mounts,
    reads: hashed.select?.paths ?? null,
    whole: reads.kind === 'whole' ? reads.reason : null,
    files: hashed.files,
    ...session.value,
  });
}

/** The key's fields every image has alike: its build settings, args and the IDs of its external bases. */
export function buildSettings(
  image: ImageSpec,
  read: Pick<Awaited<ReturnType<typeof readInputs>>, 'args' | 'bases'>,
): Pick<ImageInputs, 'target' | 'platform' | 'network' | 'pull' | 'labels' | 'args' | 'bases'> {
  return {
    target: image.target ?? null,
    platform: image.platform ?? null,
    network: image.network ?? null,
    pull: image.pull,
    labels: Object.fromEntries(Object.entries(image.labels).sort(([x], [y]) => byText(x, y))),
    args: read.args,
    bases: Object.fromEntries(Object.entries(read.bases).map(([k, v]) => [k, v.id])),
  };
}

/**
 * The key's `secrets` and `ssh`, present only when the image has some. A keyed secret that
 * cannot be read (the rules checked it at load: it changed since) fails the image, as an
 * unreadable context does; the error names the secret and its source, never a value.
 */
export function sessionInputs(file: BuildFile, image: ImageSpec): Result<Pick<ImageInputs, 'secrets' | 'ssh'>, ContextPlanError> {
  // A Map, then entries: an id such as `__proto__` stays a plain entry.
  const secrets = new Map<string, string>();
  for (const s of image.secrets) {
    if (!image.secretInKey) {
      secrets.set(s.id, UNKEYED);
      continue;
    }
    const value = readSecretValue(s.source, file.environment ?? {});
    if (!value.ok) return err({ kind: 'context-unreadable', path: file.source.path, message: `secret '${s.id}': ${value.error}` });
    secrets.set(s.id, secretDigest(s.id, value.value));
  }
  return ok({
    ...(image.secrets.length > 0 && { secrets: Object.fromEntries(secrets) }),
    ...(image.ssh.length > 0 && { ssh: image.ssh.map((s) => s.id) }),
  });
}

const dockerfilePath = (o: CollectOptions): string =>
  o.image.dockerfile.kind === 'file' ? o.image.dockerfile.path : `${o.file.source.path}#images.${o.image.name}.dockerfile_inline`;

/** The facts of a FROM image: an in-file one as built in this run (unknown while it is pending), another as the engine has it. */
export async function baseFacts(o: CollectOptions, ref: string, bases: Readonly<Record<string, BaseImage>>): Promise<BaseFacts | undefined> {
  const target = referenceTarget(o.file, o.image, ref);
  if (target.kind === 'external') return bases[ref] ?? (await baseImage(o, target.ref));
  const id = o.upstream.get(target.image);
  return id === undefined || id === PENDING ? undefined : baseImage(o, id);
}

/** What a key reads of a FROM image, from its inspect (undefined: the engine has no such image). */
export const baseOf = (info: ImageInfo | undefined): BaseImage => ({
  id: info?.id ?? 'missing',
  onBuild: (info?.onBuild.length ?? 0) > 0,
  env: info?.env ?? [],
});

function baseImage(o: CollectOptions, ref: string): Promise<BaseImage> {
  let base = o.baseIds?.get(ref);
  if (base === undefined) {
    base = o.engine.inspectImage(ref).then(baseOf);
    o.baseIds?.set(ref, base);
  }
  return base;
}

/**
 * What a build reads besides its context: its args, the local IDs of the external images
 * its Dockerfile names, its mounts, and the names of the in-file images it reads (an
 * `{image:}` arg, a mount, a FROM / COPY --from / --mount=from naming one of their tags):
 * the same edges the plan finds, `depends_on` excepted.
 */
export async function readInputs(o: CollectOptions, parsed: ParsedDockerfile) {
  const { file, image } = o;
  const images = new Set<string>();
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(image.args).sort(([a], [b]) => byText(a, b))) {
    if (v.kind === 'image') images.add(v.image);
    args[k] = v.kind === 'literal' ? v.value : `image:${v.image}`;
  }
  const bases: Record<string, BaseImage> = {};
  const planned = planningArgs(file, image);
  const refs = referencedImages(parsed, planned);
  for (const ref of [...refs, ...checkedDiffSideRefs(parsed, planned, (n) => file.images.get(n)?.tags[0])]) {
    const target = referenceTarget(file, image, ref.ref);
    if (target.kind === 'in-file') images.add(target.image);
    // A `contexts:` entry naming another reference: the key says which, and its ID.
    const name = target.kind === 'external' && target.ref !== ref.ref ? `${ref.ref} -> ${target.ref}` : ref.ref;
    if (target.kind === 'in-file' || name in bases) continue;
    bases[name] = await baseImage(o, target.ref);
  }
  const mounts: Record<string, string> = {};
  // A `contexts:` folder the Dockerfile reads is a mount of that image's folder.
  for (const [name, c] of image.contexts) {
    if (c.kind === 'image' && c.path !== undefined && images.has(c.image))
      mounts[`contexts ${name} ${c.image}:${c.path}`] = o.upstream.get(c.image) ?? 'unbuilt';
  }
  for (const m of image.mounts) {
    const sides = m.source.kind === 'diff' ? [m.source.base, m.source.head] : [m.source];
    for (const s of sides) if (s.kind === 'image') images.add(s.image);
    const ids = await Promise.all(
      sides.map(async (s) => (s.kind === 'image' ? (o.upstream.get(s.image) ?? 'unbuilt') : ((await o.engine.inspectImage(s.ref))?.id ?? 'missing'))),
    );
    mounts[`${m.from} ${m.path} ${m.to}`] = ids.join('..');
  }
  return { args, bases, mounts, images, refs };
}

/** The cache key: a versioned SHA-256 over the canonical JSON of the inputs. */
export function cacheKey(inputs: ImageInputs): string {
  return `v1-${createHash('sha256').update(JSON.stringify(inputs)).digest('hex')}`;
}
