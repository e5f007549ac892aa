/**
 * Local state under <project>/.mbuild/: for each image, the inputs of its last build
 * (`state/<image>.json`), so that `why` and every build row can say what changed. The
 * engine stays the truth: an image is up to date only if the engine still has an image
 * labelled with its key. Files are written atomically; a corrupt one is ignored.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../core/atomic-write.js';
import { manifestPath, manifestsDir } from '../core/layout.js';
import type { RecordedInputs } from './explain.js';

export interface Manifest {
  readonly format: 'mbuild-manifest-1';
  readonly image: string;
  readonly key: string;
  readonly imageId: string;
  readonly builtAt: string;
  /** The image's tags when it was built or reused (load/last-run.ts: references to a tag it has since lost). */
  readonly tags?: readonly string[];
  readonly inputs: RecordedInputs;
}

export async function readManifest(root: string, image: string): Promise<Manifest | undefined> {
  try {
    const data = JSON.parse(await readFile(manifestPath(root, image), 'utf8')) as Partial<Record<keyof Manifest, unknown>> | null;
    const valid =
      data?.format === 'mbuild-manifest-1' && data.image === image && typeof data.key === 'string' && typeof data.inputs === 'object' && data.inputs !== null;
    return valid ? (data as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

/** Keys remembered per image: what a revert or an undo in watch mode can reuse without asking the engine for a listing. */
export const KEY_HISTORY = 500;

/**
 * The keys this checkout built (or reused) for `image`, newest first, from a small side
 * file `<image>.json.key` of `<key> <image ID>` lines (a no-op must not read big
 * manifests). The first line is the image now in use. Empty when there is no state.
 */
export function keyHistory(root: string, image: string): { key: string; imageId?: string }[] {
  let text: string;
  try {
    // Synchronous: a few KiB, where fs/promises costs four thread-pool round trips per file.
    text = readFileSync(`${manifestPath(root, image)}.key`, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [key = '', imageId] = line.trim().split(' ');
      return imageId === undefined || !imageId.startsWith('sha256:') ? { key } : { key, imageId };
    });
}

/**
 * Every image ID this checkout's state recorded (each image's key history and last
 * manifest, images no longer in the build file included) -> the keys it was recorded with.
 * `clean` removes only these: another checkout of a project with the same name has its own.
 */
export async function recordedImages(root: string): Promise<Map<string, Set<string>>> {
  const recorded = new Map<string, Set<string>>();
  const add = (imageId: string, key: string) => (recorded.get(imageId) ?? recorded.set(imageId, new Set()).get(imageId)!).add(key);
  let names: string[];
  try {
    names = await readdir(manifestsDir(root));
  } catch {
    return recorded;
  }
  for (const name of names) {
    if (name.endsWith('.json.key')) {
      for (const h of keyHistory(root, name.slice(0, -'.json.key'.length))) if (h.imageId !== undefined) add(h.imageId, h.key);
    } else if (name.endsWith('.json')) {
      const m = await readManifest(root, name.slice(0, -'.json'.length));
      if (m !== undefined) add(m.imageId, m.key);
    }
  }
  return recorded;
}

/** Records the inputs of the image now in use for `image` (after a build, or when an older image is reused). */
export async function writeManifest(root: string, manifest: Omit<Manifest, 'format' | 'builtAt'>): Promise<void> {
  const path = manifestPath(root, manifest.image);
  await mkdir(manifestsDir(root), { recursive: true });
  await writeFileAtomic(path, JSON.stringify({ format: 'mbuild-manifest-1', builtAt: new Date().toISOString(), ...manifest }));
  const older = keyHistory(root, manifest.image).filter((h): h is { key: string; imageId: string } => h.key !== manifest.key && h.imageId !== undefined);
  const lines = [{ key: manifest.key, imageId: manifest.imageId }, ...older].slice(0, KEY_HISTORY).map((h) => `${h.key} ${h.imageId}`);
  await writeFileAtomic(`${path}.key`, `${lines.join('\n')}\n`);
}
