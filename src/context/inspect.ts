/**
 * What `mbuild context IMAGE` shows: the context as packContext would send it (same plan,
 * same walker, same read set, same collision bookkeeping), without reading file contents:
 * counts, bytes, the largest folders, what each Dockerfile line reads and what no
 * instruction reads, every mounted entry with its source, and why a path is in or out.
 */
import { lstat, readlink } from 'node:fs/promises';
import { byText } from '../core/order.js';
import { err, messageOf, ok, type Result } from '../core/result.js';
import { normalizeRel, type IgnorePattern } from '../dockerignore/ignore.js';
import { followingLinks, ReadSet, type SeenLink } from './read-set.js';
import { SentPaths } from './sent-paths.js';
import { planContext, type ContextInput, type ContextPlan, type ContextPlanError } from './source.js';
import type { ExtraEntry } from './tar.js';
import { walkContext, type WalkEntry } from './walk.js';

/** One mount as the caller could (or could not) read it. */
export interface InspectMount {
  /** `web:/app/dist`. */
  readonly source: string;
  readonly to: string;
  /** `listed`: `entries` are its entries; otherwise `note` says why they are not. */
  readonly status: 'listed' | 'not-built' | 'missing' | 'unavailable';
  /** Which image was read, or why not. */
  readonly note: string;
  readonly entries?: AsyncIterable<ExtraEntry>;
}

export interface MountedEntry {
  readonly path: string;
  readonly type: ExtraEntry['type'];
  readonly size: number;
  readonly linkTarget?: string;
}

export interface MountReport extends Omit<InspectMount, 'entries'> {
  readonly entries: readonly MountedEntry[];
  readonly files: number;
  readonly bytes: number;
  /** Reading stopped here (a refused entry, an engine error). */
  readonly error?: string;
}

/** What the build reads, as the caller found it in the Dockerfile (cache/inputs.ts `imageReads`). */
export interface InspectReads {
  /** Why the whole context is read; null: only `reads`. */
  readonly whole: string | null;
  readonly reads: readonly { readonly path: string; readonly line: number; readonly text: string }[];
  /** What could not be checked (a base's ONBUILD triggers without an engine), shown as warnings. */
  readonly notes?: readonly string[];
}

/** One read with what it brings: `line` null for the target of a symlink a read follows. */
export interface ReadReport {
  readonly path: string;
  readonly line: number | null;
  readonly text: string;
  readonly files: number;
  readonly bytes: number;
}

export interface FolderSize {
  readonly path: string;
  readonly files: number;
  readonly bytes: number;
}

export interface ContextReport {
  readonly image: string;
  readonly root: string;
  readonly dockerfileInTar: string;
  readonly ignoreFile: string | null;
  /** From the context folder (and injected files): what is sent before any mount. */
  readonly context: { readonly files: number; readonly folders: number; readonly symlinks: number; readonly bytes: number };
  /** Everything sent, mounts included. */
  readonly total: { readonly files: number; readonly bytes: number };
  readonly largestFolders: readonly FolderSize[];
  /** What is read and why, and what no instruction reads (neither sent nor hashed). */
  readonly inputs: {
    readonly whole: string | null;
    readonly reads: readonly ReadReport[];
    readonly notRead: { readonly files: number; readonly bytes: number };
  };
  readonly injected: readonly string[];
  readonly mounts: readonly MountReport[];
  readonly collisions: readonly string[];
  readonly warnings: readonly string[];
}

export interface WhyReport {
  readonly path: string;
  readonly sent: boolean;
  readonly reason: 'mount' | 'injected' | 'always-sent' | 'ignore-line' | 'no-line' | 'no-ignore-file' | 'not-read';
  readonly detail: string;
  readonly line?: number;
  readonly pattern?: string;
  readonly existsInContext: boolean;
}

const LARGEST = 10;

export async function inspectContext(
  image: string,
  input: ContextInput,
  mounts: readonly InspectMount[],
  reads: InspectReads = { whole: 'no Dockerfile reads given', reads: [] },
): Promise<Result<{ report: ContextReport; plan: ContextPlan }, ContextPlanError>> {
  const planned = await planContext({ ...input, ...(reads.whole === null && { select: new ReadSet(reads.reads.map((r) => r.path)) }) });
  if (!planned.ok) return err(planned.error);
  const plan = planned.value;
  const warnings = [...plan.warnings, ...(reads.notes ?? [])];
  const sent = new SentPaths();
  const folders = new Map<string, { files: number; bytes: number }>();
  const count = (path: string, size: number): void => {
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const f = folders.get(path.slice(0, i)) ?? { files: 0, bytes: 0 };
      f.files++;
      f.bytes += size;
      folders.set(path.slice(0, i), f);
    }
  };
  const ctx = { files: 0, folders: 0, symlinks: 0, bytes: 0 };
  for (const f of plan.injected) {
    sent.record({ path: f.name, kind: 'file', source: 'context' });
    ctx.files++;
    ctx.bytes += f.content.byteLength;
  }
  const { walked, select } = await followingLinks(plan.select, (s) => walkSent(plan, s, warnings));
  for (const e of walked.entries) {
    sent.record({ path: e.rel, kind: e.kind, source: 'context' });
    if (e.kind === 'dir') ctx.folders++;
    else if (e.kind === 'symlink') ctx.symlinks++;
    else {
      ctx.files++;
      ctx.bytes += e.stats.size;
      count(e.rel, e.stats.size);
    }
  }
  const total = { files: ctx.files, bytes: ctx.bytes };
  const collisions: string[] = [];
  const reports: MountReport[] = [];
  for (const m of mounts) {
    const entries: MountedEntry[] = [];
    let files = 0;
    let bytes = 0;
    let error: string | undefined;
    try {
      for await (const x of m.entries ?? []) {
        const path = normalizeRel(x.path);
        const claim = sent.claim({ path, kind: x.type, ...(x.source !== undefined && { source: x.source }), exclusive: x.exclusive ?? false });
        if (!claim.ok) collisions.push(claim.message);
        const size = x.type === 'file' ? await drain(x.content) : 0;
        if (x.exclusive) entries.push({ path, type: x.type, size, ...(x.linkTarget !== undefined && { linkTarget: x.linkTarget }) });
        if (x.type === 'file') {
          files++;
          bytes += size;
          count(path, size);
        }
      }
    } catch (e) {
      error = messageOf(e);
    }
    total.files += files;
    total.bytes += bytes;
    reports.push({ source: m.source, to: m.to, status: m.status, note: m.note, entries, files, bytes, ...(error !== undefined && { error }) });
  }
  const inputs = { whole: reads.whole, ...(await readReports(plan, select, reads, walked.entries)) };
  const largestFolders = [...folders]
    .map(([path, f]) => ({ path, ...f }))
    .sort((a, b) => b.bytes - a.bytes || byText(a.path, b.path))
    .slice(0, LARGEST);
  return ok({
    plan,
    report: {
      image,
      root: plan.root,
      dockerfileInTar: plan.dockerfileInTar,
      ignoreFile: plan.ignore?.path ?? null,
      context: ctx,
      total,
      largestFolders,
      inputs,
      injected: plan.injected.map((f) => f.name),
      mounts: reports,
      collisions,
      warnings,
    },
  });
}

/** The context entries sent with `select`, and the links met that a read follows. */
async function walkSent(plan: ContextPlan, select: ReadSet | undefined, warnings: string[]): Promise<{ entries: WalkEntry[]; links: SeenLink[] }> {
  const entries: WalkEntry[] = [];
  const links: SeenLink[] = [];
  const walk = walkContext({
    root: plan.root,
    matcher: plan.matcher,
    forceInclude: plan.forceInclude,
    omit: plan.omit,
    select,
    onWarning: (m) => warnings.push(m),
  });
  for await (const e of walk) {
    entries.push(e);
    if (e.kind === 'symlink' && select !== undefined) links.push({ rel: e.rel, target: await readlink(e.abs) });
  }
  return { entries, links };
}

/** Files and bytes each read brings, and what the context holds that no read brings (walked again, whole). */
async function readReports(plan: ContextPlan, select: ReadSet | undefined, reads: InspectReads, sent: readonly WalkEntry[]) {
  const notRead = { files: 0, bytes: 0 };
  if (select === undefined) return { reads: [], notRead };
  const brought = select.paths.map(() => ({ files: 0, bytes: 0 }));
  for (const e of sent) {
    if (e.kind !== 'file') continue;
    for (const i of select.readersOf(e.rel)) {
      brought[i]!.files++;
      brought[i]!.bytes += e.stats.size;
    }
  }
  const rows: ReadReport[] = select.paths.map((path, i) => {
    const read = reads.reads[i];
    return { path, line: read?.line ?? null, text: read?.text ?? 'the target of a symlink a read follows', ...brought[i]! };
  });
  const forced = new Set(plan.forceInclude);
  for await (const e of walkContext({ root: plan.root, matcher: plan.matcher, omit: plan.omit })) {
    if (e.kind === 'file' && !forced.has(e.rel) && select.select(e.rel) === 'out') {
      notRead.files++;
      notRead.bytes += e.stats.size;
    }
  }
  return { reads: rows, notRead };
}

/** Reads and discards a file's content; its size. */
async function drain(content: ExtraEntry['content']): Promise<number> {
  if (content === undefined) return 0;
  if (typeof content === 'string') return Buffer.byteLength(content);
  if (content instanceof Uint8Array) return content.byteLength;
  for await (const _chunk of content.stream) {
    // drained
  }
  return content.size;
}

/**
 * Which rule puts `path` in the context or keeps it out: a mount, mbuild itself, the
 * .dockerignore, and then whether an instruction reads it (`reads` as given to inspectContext).
 */
export async function explainPath(plan: ContextPlan, mounts: readonly { source: string; to: string }[], raw: string, reads?: InspectReads): Promise<WhyReport> {
  const ignored = await explainIgnored(plan, mounts, raw);
  if (!ignored.sent || reads === undefined || !['ignore-line', 'no-line', 'no-ignore-file'].includes(ignored.reason)) return ignored;
  if (reads.whole !== null) return { ...ignored, detail: `${ignored.detail}; the whole context is read (${reads.whole})` };
  let select = plan.select ?? new ReadSet(reads.reads.map((r) => r.path));
  // Only a symlink a read follows can bring it in: walk to find those.
  if (select.select(ignored.path) === 'out') select = (await followingLinks(select, (s) => walkSent(plan, s, []))).select ?? select;
  const by = select.readersOf(ignored.path).map((i) => reads.reads[i]);
  if (by.length === 0) {
    return {
      ...ignored,
      sent: false,
      reason: 'not-read',
      detail: 'not read by any instruction of the Dockerfile: neither sent nor hashed (.dockerignore alone would send it)',
    };
  }
  const lines = by.map((r) => (r === undefined ? 'the target of a symlink a read follows' : `line ${r.line}: ${r.text}`));
  return { ...ignored, detail: `${ignored.detail}; read by ${lines.join('; ')}` };
}

async function explainIgnored(plan: ContextPlan, mounts: readonly { source: string; to: string }[], raw: string): Promise<WhyReport> {
  const path = normalizeRel(raw);
  const existsInContext = (await lstat(`${plan.root}/${path}`).catch(() => null)) !== null;
  const base = { path, existsInContext };
  const mount = mounts.find((m) => path === m.to || path.startsWith(`${m.to}/`));
  if (mount) return { ...base, sent: true, reason: 'mount', detail: `comes from mount ${mount.source} -> ${mount.to}, not from the context folder` };
  if (plan.injected.some((f) => f.name === path))
    return { ...base, sent: true, reason: 'injected', detail: 'written into the tar by mbuild (the Dockerfile lies outside the context, or is inline)' };
  if (plan.omit.includes(path)) return { ...base, sent: false, reason: 'injected', detail: 'replaced by the file mbuild injects under this name' };
  if (plan.forceInclude.includes(path))
    return { ...base, sent: true, reason: 'always-sent', detail: 'always sent: the builder needs it, whatever .dockerignore says' };
  if (plan.ignore === null) return { ...base, sent: true, reason: 'no-ignore-file', detail: 'sent: no .dockerignore applies to this context' };
  const { excluded, pattern } = plan.matcher.explain(path);
  const file = plan.ignore.relInContext ?? plan.ignore.path;
  if (pattern === undefined) return { ...base, sent: true, reason: 'no-line', detail: `sent: no line of ${file} matches it` };
  const line = (p: IgnorePattern): string => `${file} line ${p.line}: ${p.text.trim()}`;
  return {
    ...base,
    sent: !excluded,
    reason: 'ignore-line',
    detail: `${excluded ? 'excluded' : 'included'} by ${line(pattern)}`,
    line: pattern.line,
    pattern: pattern.text.trim(),
  };
}
