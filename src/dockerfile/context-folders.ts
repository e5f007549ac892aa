/**
 * `contexts: {NAME: {image: Y, path: /p}}`: a folder inside an image under a name the
 * Dockerfile uses in `COPY --from=NAME` and `RUN --mount=from=NAME`. mbuild places the folder
 * in the build context under `.mbuild-context/<NAME>/` (as a mount) and sends the instruction
 * reading it from there (diff-rewrite.ts `rewriteFolders`), on both builders. A stage of the
 * same name wins, as for every name. `FROM NAME` is refused at load (load/references.ts).
 */
import type { ParsedDockerfile } from './parse.js';
import type { FolderUse } from './diff-rewrite.js';
import { resolveStages, type BuildArgs } from './stages.js';
import { parseCsvFields } from './words.js';

/** The context folder of a named folder (a context file there collides with it: the splice reports it). */
export const contextFolder = (name: string): string => `.mbuild-context/${name}`;

export interface ContextFolderUse extends FolderUse {
  /** The `contexts:` name the instruction reads. */
  readonly name: string;
}

/** Every COPY --from / RUN --mount=from of the target's Dockerfile naming one of `names` (after ARG substitution). */
export function contextFolderUses(df: ParsedDockerfile, args: BuildArgs, names: ReadonlySet<string>): ContextFolderUse[] {
  if (names.size === 0) return [];
  const out: ContextFolderUse[] = [];
  for (const stage of resolveStages(df, args).stages) {
    for (const r of stage.references) {
      if (r.kind === 'from' || r.source.kind !== 'image' || !names.has(r.source.ref)) continue;
      const instruction = stage.instructions.find((i) => i.startLine === r.line);
      if (instruction === undefined) continue;
      const name = r.source.ref;
      const folder = contextFolder(name);
      if (r.kind === 'copy-from') {
        out.push({ kind: r.kind, instruction, folder, name });
        continue;
      }
      const flag = instruction.flags.findIndex((f) => f.name === 'mount' && f.value !== null && parseCsvFields(f.value).get('from') === r.text);
      if (flag !== -1) out.push({ kind: r.kind, instruction, flag, folder, name });
    }
  }
  return out;
}
