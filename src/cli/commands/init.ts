/**
 * `mbuild init`: scaffolds `mbuild.yaml` in the working directory (or at `-f PATH`) from the
 * Dockerfiles below it (init/). Never replaces a build file: one that exists is bad input
 * (exit 2), and the file is created atomically without overwriting (core/atomic-write.ts).
 * `--dry-run`/`--stdout` prints the file instead.
 */
import { lstat, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { createFileAtomic } from '../../core/atomic-write.js';
import { err, messageOf, ok, type Result } from '../../core/result.js';
import { findDockerfiles } from '../../init/find.js';
import { scaffold, type DockerfileFound, type Scaffold } from '../../init/scaffold.js';
import { schemaPathFor } from '../../init/schema-path.js';
import type { CommandFailure, CommandResult } from '../failure.js';
import { ExitCode, type CliIo } from '../io.js';
import type { GlobalOptions } from '../load.js';
import { warnOn } from '../print.js';

export interface InitOptions extends Pick<GlobalOptions, 'file'> {
  readonly dryRun?: boolean;
  readonly stdout?: boolean;
}

/** The largest Dockerfile read (a bigger file is not a Dockerfile anyone wrote by hand). */
const MAX_DOCKERFILE = 1024 * 1024;

const BUILD_FILES = ['mbuild.yaml', 'mbuild.yml'];

const exists = (path: string): Promise<boolean> =>
  lstat(path).then(
    () => true,
    () => false,
  );

/** The file to write: `-f PATH` (a file, or a folder to write mbuild.yaml in), else ./mbuild.yaml. */
async function targetOf(io: CliIo, file: string | undefined): Promise<string> {
  const named = resolve(io.cwd, file ?? '.');
  const st = await lstat(named).catch(() => undefined);
  return st?.isDirectory() === true ? join(named, 'mbuild.yaml') : named;
}

/** A build file already there: the path named, or mbuild.yaml / mbuild.yml beside it. */
async function existing(target: string): Promise<string | undefined> {
  for (const path of [target, ...BUILD_FILES.map((n) => join(dirname(target), n))]) if (await exists(path)) return path;
  return undefined;
}

async function readDockerfiles(io: CliIo, root: string, paths: readonly string[]): Promise<DockerfileFound[]> {
  const found: DockerfileFound[] = [];
  for (const path of paths) {
    try {
      const buf = await readFile(join(root, path));
      if (buf.length > MAX_DOCKERFILE) warnOn(io)(`skipped ${path}: larger than 1 MiB`);
      else found.push({ path, text: buf.toString('utf8') });
    } catch (e) {
      warnOn(io)(`skipped ${path}: ${messageOf(e)}`);
    }
  }
  return found;
}

async function scaffoldAt(io: CliIo, root: string): Promise<Result<Scaffold, CommandFailure>> {
  const found = await findDockerfiles(root);
  for (const u of found.unreadable) warnOn(io)(`cannot read folder ${u}`);
  if (found.truncated) warnOn(io)('stopped looking for Dockerfiles after 20000 folders');
  const dockerfiles = await readDockerfiles(io, root, found.paths);
  if (dockerfiles.length === 0) return err({ reason: 'invalid-input', message: `no Dockerfile found in ${root} (Dockerfile, *.Dockerfile or Dockerfile.*)` });
  const schema = schemaPathFor(root);
  const result = scaffold({ folder: basename(root), dockerfiles, ...(schema !== undefined && { schema }) });
  for (const s of result.skipped) warnOn(io)(`skipped ${s.path}, it has errors: ${s.problems.join('; ')}`);
  if (result.images.length === 0) return err({ reason: 'invalid-input', message: 'every Dockerfile found has errors: nothing to scaffold' });
  return ok(result);
}

export async function initCommand(io: CliIo, opts: InitOptions): Promise<CommandResult> {
  const target = await targetOf(io, opts.file);
  const root = dirname(target);
  const print = opts.dryRun === true || opts.stdout === true;
  const there = print ? undefined : await existing(target);
  if (there !== undefined)
    return err({ reason: 'invalid-input', message: `${relative(io.cwd, there) || there} exists; mbuild init never replaces a build file` });
  const made = await scaffoldAt(io, root);
  if (!made.ok) return made;
  const { text, images, groups } = made.value;
  if (print) {
    io.stdout.write(text);
    return ok(ExitCode.ok);
  }
  const created = await createFileAtomic(target, text).catch((e: unknown) => messageOf(e));
  if (created === false) return err({ reason: 'invalid-input', message: `${relative(io.cwd, target)} exists; mbuild init never replaces a build file` });
  if (typeof created === 'string') return err({ reason: 'invalid-input', message: `cannot write ${relative(io.cwd, target)}: ${created}` });
  io.stderr.write(
    `wrote ${relative(io.cwd, target)}: ${images.length} image${images.length === 1 ? '' : 's'}` +
      `${groups.size > 0 ? `, ${groups.size} group${groups.size === 1 ? '' : 's'}` : ''}; next: mbuild validate, then mbuild plan\n`,
  );
  return ok(ExitCode.ok);
}
