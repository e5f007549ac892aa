/**
 * The `mbuild.yaml` that `mbuild init` writes, from the Dockerfiles found (path and text):
 * one image per Dockerfile (its folder as the context), the edges it can see (edges.ts),
 * a group per top folder that holds two images or more (when there are several top
 * folders), the schema modeline and a header. A Dockerfile with errors is skipped and said.
 * Pure: the same Dockerfiles give the same text.
 */
import { seeEdges, repositoryName, type ArgEdge, type NoteEdge } from './edges.js';
import { imageNames, sanitizeName } from './names.js';
import { yamlKey, yamlScalar } from './yaml-text.js';

export interface DockerfileFound {
  /** Relative to the project root, with `/`. */
  readonly path: string;
  readonly text: string;
}

export interface ScaffoldInput {
  /** The project root's folder name (the root Dockerfile's image name, and the tag prefix of default tags). */
  readonly folder: string;
  /** The schema modeline's path, relative to the build file; none: no modeline. */
  readonly schema?: string;
  readonly dockerfiles: readonly DockerfileFound[];
}

export interface ScaffoldedImage {
  readonly name: string;
  readonly path: string;
  readonly context: string;
  /** Relative to the context; absent for `Dockerfile`. */
  readonly dockerfile?: string;
  readonly args: readonly ArgEdge[];
  readonly notes: readonly NoteEdge[];
}

export interface Skipped {
  readonly path: string;
  readonly problems: readonly string[];
}

export interface Scaffold {
  readonly text: string;
  readonly images: readonly ScaffoldedImage[];
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly skipped: readonly Skipped[];
}

const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.');
const fileOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Which scaffolded image a reference names: its repository's last component, or the default tag `PROJECT-NAME`. */
function imageLookup(names: ReadonlySet<string>, project: string): (ref: string) => string | undefined {
  return (ref) => {
    const repo = repositoryName(ref);
    if (names.has(repo)) return repo;
    const prefix = `${project}-`;
    return repo.startsWith(prefix) && names.has(repo.slice(prefix.length)) ? repo.slice(prefix.length) : undefined;
  };
}

/** A group per top folder with two images or more, when the images are in several top folders; never named like an image. */
export function topGroups(images: readonly ScaffoldedImage[]): Map<string, string[]> {
  const byTop = new Map<string, string[]>();
  for (const i of images) {
    const top = i.path.includes('/') ? i.path.slice(0, i.path.indexOf('/')) : '.';
    byTop.set(top, [...(byTop.get(top) ?? []), i.name]);
  }
  const groups = new Map<string, string[]>();
  if (byTop.size < 2) return groups;
  const taken = new Set(images.map((i) => i.name));
  for (const [top, members] of byTop) {
    if (top === '.' || members.length < 2) continue;
    const base = sanitizeName(top) || 'group';
    let name = taken.has(base) ? `${base}-all` : base;
    for (let k = 2; taken.has(name); k++) name = `${base}-all-${k}`;
    taken.add(name);
    groups.set(name, members);
  }
  return groups;
}

export function scaffold(input: ScaffoldInput): Scaffold {
  const project = sanitizeName(input.folder) || 'project';
  const names = imageNames(
    input.dockerfiles.map((d) => d.path),
    project,
  );
  const lookup = imageLookup(new Set(names.values()), project);
  const images: ScaffoldedImage[] = [];
  const skipped: Skipped[] = [];
  for (const d of input.dockerfiles) {
    const name = names.get(d.path)!;
    const seen = seeEdges(d.text, name, lookup);
    if (!seen.ok) {
      skipped.push({ path: d.path, problems: seen.problems });
      continue;
    }
    const file = fileOf(d.path);
    images.push({ name, path: d.path, context: folderOf(d.path), ...(file !== 'Dockerfile' && { dockerfile: file }), args: seen.args, notes: seen.notes });
  }
  const kept = new Set(images.map((i) => i.name));
  // An edge to a skipped Dockerfile's image would name an image the file does not have.
  const usable = images.map((i) => ({ ...i, args: i.args.filter((a) => kept.has(a.image)), notes: i.notes.filter((n) => kept.has(n.image)) }));
  const groups = topGroups(usable);
  return { text: render(input, usable, groups, skipped), images: usable, groups, skipped };
}

function render(input: ScaffoldInput, images: readonly ScaffoldedImage[], groups: ReadonlyMap<string, readonly string[]>, skipped: readonly Skipped[]): string {
  const out = [
    ...(input.schema === undefined ? [] : [`# yaml-language-server: $schema=${input.schema}`]),
    `# Scaffolded by \`mbuild init\` from ${images.length} Dockerfile${images.length === 1 ? '' : 's'}: one image per Dockerfile, its folder as`,
    '# the context. Check the contexts, add tags, args and outputs, then run `mbuild validate`',
    '# and `mbuild plan`. Reference: docs/build-file.md.',
  ];
  for (const s of skipped) out.push(`# Skipped ${s.path}: ${s.problems.join('; ')}`);
  out.push('version: 1', 'images:');
  for (const i of images) out.push(...imageLines(i));
  if (groups.size > 0) {
    out.push('groups:');
    for (const [name, members] of groups) out.push(`  ${yamlKey(name)}: [${members.map(yamlScalar).join(', ')}]`);
  }
  return `${out.join('\n')}\n`;
}

function imageLines(i: ScaffoldedImage): string[] {
  const lines = [`  ${yamlKey(i.name)}:`, `    context: ${yamlScalar(i.context)}`];
  if (i.dockerfile !== undefined) lines.push(`    dockerfile: ${yamlScalar(i.dockerfile)}`);
  if (i.args.length > 0) {
    lines.push('    args:');
    for (const a of i.args) lines.push(`      ${yamlKey(a.arg)}: {image: ${yamlScalar(a.image)}}  # ${a.written} (line ${a.line})`);
  }
  for (const n of i.notes) {
    const arg = `${n.image.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_IMAGE`;
    lines.push(
      `    # ${n.written} (line ${n.line}) reads image ${n.image}. To make that an edge whatever its tags,`,
      `    # write ARG ${arg} and \${${arg}} there in the Dockerfile, and here: args: {${arg}: {image: ${n.image}}}`,
    );
  }
  return lines;
}
