/**
 * What `mbuild context IMAGE` shows: the context as packContext would send it (same plan,
 * same walker, same collision bookkeeping), without reading file contents: counts, bytes,
 * the largest folders, every mounted entry with its source, and why a path is in or out.
 */
import { lstat } from 'node:fs/promises';
import { byText } from '../core/order.js';
import { err, messageOf, ok, type Result } from '../core/result.js';
import { normalizeRel, type IgnorePattern } from '../dockerignore/ignore.js';
import { SentPaths } from './sent-paths.js';
import { planContext, type ContextInput, type ContextPlan, type ContextPlanError } from './source.js';
import type { ExtraEntry } from './tar.js';
import { walkContext } from './walk.js';

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
  readonly injected: readonly string[];
  readonly mounts: readonly MountReport[];
  readonly collisions: readonly string[];
  readonly warnings: readonly string[];
}

export interface WhyReport {
  readonly path: string;
  readonly sent: boolean;
  readonly reason: 'mount' | 'injected' | 'always-sent' | 'ignore-line' | 'no-line' | 'no-ignore-file';
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
): Promise<Result<{ report: ContextReport; plan: ContextPlan }, ContextPlanError>> {
  const planned = await planContext(input);
  if (!planned.ok) return err(planned.error);
  const plan = planned.value;
  const warnings = [...plan.warnings];
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
  const walk = walkContext({ root: plan.root, matcher: plan.matcher, forceInclude: plan.forceInclude, omit: plan.omit, select: plan.select, onWarning: (m) => warnings.push(m) });
  for await (const e of walk) {
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
      injected: plan.injected.map((f) => f.name),
      mounts: reports,
      collisions,
      warnings,
    },
  });
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

/** Which rule puts `path` in the context or keeps it out. */
export async function explainPath(plan: ContextPlan, mounts: readonly { source: string; to: string }[], raw: string): Promise<WhyReport> {
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
