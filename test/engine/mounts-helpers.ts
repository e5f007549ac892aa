/**
 * Shared by the mounts/outputs/context engine tests: a throwaway project from an inline
 * tree, named `mbuild-test-mounts-<label>-<hex>` (so every tag it makes starts with that),
 * listings of trees in images and on the host, and the temporary containers of a process.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, removeProjectImages } from '../helpers/engine-docker.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { writeTree, type Tree } from '../helpers/testdir.js';

export interface MountsProject {
  readonly name: string;
  readonly dir: string;
  run(args: readonly string[]): Promise<CliResult>;
  /** Removes the folder and every image of the project; returns the images left (expected: none). */
  cleanup(): string[];
}

/** `__NAME__` in the tree's files becomes the project name (labels, tags). */
export function mountsProject(label: string, tree: Tree): MountsProject {
  const name = `mbuild-test-mounts-${label}-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), `mbt-mounts-${label}-`));
  const sub = (s: string): string => s.replaceAll('__NAME__', name);
  writeTree(dir, Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, typeof v === 'string' ? sub(v) : 'text' in v ? { ...v, text: sub(v.text) } : v])));
  return {
    name,
    dir,
    run: (args) => runCli([...args], { cwd: dir, env: { ...process.env } }),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      return removeProjectImages(name);
    },
  };
}

/** Temporary containers (io.mbuild.temp) made by process `pid`. */
export const tempContainersOf = (pid: number): string[] =>
  docker('ps', '-a', '-q', '--filter', 'label=io.mbuild.temp=1', '--filter', `label=io.mbuild.pid=${pid}`);

/** `mode type size -> target` per path below `root` in an image, as busybox stat prints it. */
export function imageTree(image: string, root: string): string[] {
  const script = `cd ${root} && find . | sort | while read -r f; do stat -c '%n %a %F %s' "$f" | sed 's/symbolic link/symlink/; s/regular empty file/file/; s/regular file/file/; s/directory/dir/'; if [ -L "$f" ]; then echo "  -> $(readlink "$f")"; fi; done`;
  return execFileSync('docker', ['run', '--rm', '--network', 'none', image, 'sh', '-c', script], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l !== '')
    .reduce<string[]>((out, l) => {
      if (l.startsWith('  -> '))
        out.push(`${out.pop()!} ${l.trim()}`); // follows its path's own line
      else out.push(l.replace(/ dir \d+$/, ' dir'));
      return out;
    }, []);
}

/** The same listing for a host path. */
export function hostTree(root: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string): void => {
    const st = lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.push(`${rel} ${mode} symlink ${st.size} -> ${readlinkSync(abs)}`);
    else if (st.isDirectory()) {
      out.push(`${rel} ${mode} dir`);
      for (const n of readdirSync(abs).sort()) walk(join(abs, n), `${rel}/${n}`);
    } else out.push(`${rel} ${mode} file ${st.size}`);
  };
  walk(root, '.');
  return out;
}
