/**
 * Why an image is built: the difference between the inputs of its last build (the
 * manifest) and the inputs now, in words: "context changed: src/main.go (+2 more)",
 * "arg VERSION 1.2 -> 1.3", "upstream base rebuilt", "Dockerfile changed at line 7", "secret
 * npm_token changed" (never a value or a digest); for a
 * prediction, "upstream base will be rebuilt" (its new ID is `PENDING`).
 */
import { PENDING, UNKEYED, type FileInput, type ImageInputs } from './inputs.js';

const MAX_NAMED = 1;

function listed(what: string, paths: readonly string[]): string {
  const shown = paths.slice(0, MAX_NAMED).join(', ');
  return `${what}: ${shown}${paths.length > MAX_NAMED ? ` (+${paths.length - MAX_NAMED} more)` : ''}`;
}

/** Context paths added, removed or changed (content, type, mode, link target). */
export function changedFiles(before: readonly FileInput[], now: readonly FileInput[]): string[] {
  const old = new Map(before.map((f) => [f[0], f]));
  const changed: string[] = [];
  for (const f of now) {
    const o = old.get(f[0]);
    old.delete(f[0]);
    if (o === undefined || o[1] !== f[1] || o[2] !== f[2] || o[3] !== f[3]) changed.push(f[0]);
  }
  changed.push(...old.keys());
  return changed.sort();
}

function firstChangedLine(before: string, now: string): number {
  const a = before.split('\n');
  const b = now.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i + 1;
}

function mapChanges(
  before: Readonly<Record<string, string>>,
  now: Readonly<Record<string, string>>,
  render: (k: string, a?: string, b?: string) => string,
): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
  return keys.filter((k) => before[k] !== now[k]).map((k) => render(k, before[k], now[k]));
}

const mountName = (k: string): string => k.split(' ').slice(0, 2).join(':');

/**
 * An upstream in-file image. Only images the build reads this run are in `now`, so
 * "rebuilt" never names an edge the plan does not have: one only in `before` is said to
 * be gone, as what it is (a `depends_on`, order only, or an image no longer read).
 */
function upstreamChange(orderOnly: ReadonlySet<string>) {
  return (k: string, a?: string, b?: string): string => {
    if (b === undefined) return orderOnly.has(k) ? `depends_on ${k} is order only: no longer part of the key` : `no longer built from in-file image ${k}`;
    if (a === undefined) return `new upstream ${k}`;
    return b === PENDING ? `upstream ${k} will be rebuilt` : `upstream ${k} rebuilt`;
  };
}

function baseChange(k: string, a?: string, b?: string): string {
  if (b === 'missing') return `base image ${k} is missing`;
  if (a === undefined) return `new base image ${k}`;
  return b === undefined ? `base image ${k} no longer used` : `base image ${k} changed`;
}

function mountChange(k: string, a?: string, b?: string): string {
  if (a === undefined) return `mount ${mountName(k)} added`;
  if (b === undefined) return `mount ${mountName(k)} removed`;
  return b.split('..').includes(PENDING) ? `mounted image will change: ${mountName(k)}` : `mounted image changed: ${mountName(k)}`;
}

/** A secret, by id only: neither its value nor its digest is ever shown. */
function secretChange(k: string, a?: string, b?: string): string {
  if (a === undefined) return `secret ${k} added`;
  if (b === undefined) return `secret ${k} removed`;
  if (a === UNKEYED) return `secret ${k} now in the key (secret_in_key)`;
  return b === UNKEYED ? `secret ${k} no longer in the key` : `secret ${k} changed`;
}

function sshChanges(before: readonly string[], now: readonly string[]): string[] {
  const added = now.filter((id) => !before.includes(id)).map((id) => `ssh ${id} added`);
  return [...added, ...before.filter((id) => !now.includes(id)).map((id) => `ssh ${id} removed`)];
}

/** Inputs as a manifest recorded them: an older mbuild may have written another key version. */
export type RecordedInputs = Omit<ImageInputs, 'version'> & { readonly version: string };

/**
 * Every difference, most telling first. Empty when the inputs are the same. `orderOnly`:
 * the image's `depends_on` names (in the key of an older mbuild, never read by a build).
 */
export function explainChange(before: RecordedInputs, now: ImageInputs, orderOnly: readonly string[] = []): string[] {
  const reasons: string[] = [];
  if (before.version !== now.version) return [`mbuild's cache format changed (${before.version} -> ${now.version})`];
  // The Dockerfile is reported on its own line, with the line that changed.
  const files = changedFiles(before.files, now.files).filter((f) => !(f === now.dockerfileInTar && before.dockerfile !== now.dockerfile));
  if (files.length > 0) reasons.push(listed('context changed', files));
  if (before.dockerfile !== now.dockerfile) reasons.push(`Dockerfile changed at line ${firstChangedLine(before.dockerfile, now.dockerfile)}`);
  if (before.ignore !== now.ignore) reasons.push('.dockerignore changed');
  reasons.push(
    ...mapChanges(before.args, now.args, (k, a, b) =>
      a === undefined ? `arg ${k} added (${b ?? ''})` : b === undefined ? `arg ${k} removed` : `arg ${k} ${a} -> ${b}`,
    ),
  );
  reasons.push(...mapChanges(before.upstream, now.upstream, upstreamChange(new Set(orderOnly))));
  reasons.push(...mapChanges(before.bases, now.bases, baseChange));
  reasons.push(...mapChanges(before.mounts, now.mounts, mountChange));
  reasons.push(...mapChanges(before.labels, now.labels, (k) => `label ${k} changed`));
  reasons.push(...mapChanges(before.secrets ?? {}, now.secrets ?? {}, secretChange));
  reasons.push(...sshChanges(before.ssh ?? [], now.ssh ?? []));
  for (const key of ['target', 'platform', 'network', 'pull', 'builder'] as const) {
    if (before[key] !== now[key]) reasons.push(`${key} ${String(before[key] ?? 'unset')} -> ${String(now[key] ?? 'unset')}`);
  }
  // What is read follows from the Dockerfile and args; said only when nothing else explains it.
  if (reasons.length === 0) reasons.push(...readsChange(before, now));
  return reasons;
}

function readsChange(before: RecordedInputs, now: ImageInputs): string[] {
  if (before.whole !== now.whole) return [now.whole !== null ? `reads the whole context now (${now.whole})` : 'reads only what its Dockerfile names now'];
  return JSON.stringify(before.reads) === JSON.stringify(now.reads) ? [] : ['the context paths its Dockerfile reads changed (a symlink on the way)'];
}
