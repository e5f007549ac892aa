// An image with this machine's ssh, ssh-add, ssh-keyscan and git on top of busybox:latest, for
// builds that use forwarded SSH (`RUN --mount=type=ssh ssh-add -l`, `git clone ssh://...`)
// with no registry and no package download: the binaries and every shared library `ldd` lists
// for them are copied at the same absolute paths, git's builtins in /usr/lib/git-core as links
// to /usr/bin/git, plus root's passwd entry (OpenSSH needs one) and HOME=/root. Tagged
// `mbuild-test-tools:<hash>`, the hash of everything copied, the recipe and busybox's image ID:
// built once, then reused by every test run while those stay the same (it stays on the engine,
// like busybox:latest). Built by the classic builder through the docker CLI, `--network none`.
// Plain JavaScript (types in tools-image.d.mts) because the benches run plain node.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const TOOLS_REPOSITORY = 'mbuild-test-tools';
const BINARIES = ['/usr/bin/ssh', '/usr/bin/ssh-add', '/usr/bin/ssh-keyscan', '/usr/bin/git'];
const GIT_CORE = '/usr/lib/git-core';
const GIT_TEMPLATES = '/usr/share/git-core/templates';
const DOCKERFILE = 'FROM busybox:latest\nCOPY rootfs/ /\nENV HOME=/root\n';
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/** The shared libraries `ldd` lists for `binary`, the loader included, as absolute paths. */
export function librariesOf(binary) {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]);
}

/** Links in git-core that name the git binary itself (`git-clone -> git`): its builtins. */
function gitBuiltins() {
  return readdirSync(GIT_CORE).filter((name) => {
    try {
      return readlinkSync(join(GIT_CORE, name)) === 'git';
    } catch {
      return false;
    }
  });
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Every host file the image holds (followed through links), sorted. */
function hostFiles() {
  const libraries = BINARIES.flatMap(librariesOf);
  let templates = [];
  try {
    templates = filesUnder(GIT_TEMPLATES);
  } catch {
    /* git runs without templates */
  }
  return [...new Set([...BINARIES, ...libraries, ...templates])].sort();
}

/** The tag for these files, this recipe and this busybox:latest. */
function tagFor(files, builtins) {
  const hash = createHash('sha256');
  hash.update(DOCKERFILE + PASSWD + GROUP + builtins.join(','));
  hash.update(execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', 'busybox:latest'], { encoding: 'utf8' }));
  for (const f of files) hash.update(`${f}\0`).update(readFileSync(f));
  return `${TOOLS_REPOSITORY}:${hash.digest('hex').slice(0, 16)}`;
}

export const imageExists = (tag) => {
  try {
    execFileSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Lays out the build context: `rootfs/` holds each file at its absolute path. */
function writeContext(dir, files, builtins) {
  const root = join(dir, 'rootfs');
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    copyFileSync(f, join(root, f)); // follows links: a soname link becomes the library itself
  }
  mkdirSync(join(root, GIT_CORE), { recursive: true });
  symlinkSync('/usr/bin/git', join(root, GIT_CORE, 'git'));
  for (const b of builtins) symlinkSync('git', join(root, GIT_CORE, b));
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'passwd'), PASSWD);
  writeFileSync(join(root, 'etc', 'group'), GROUP);
  mkdirSync(join(root, 'root', '.ssh'), { recursive: true, mode: 0o700 });
  mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
}

let built;

/**
 * The tools image's tag, built first when the engine does not have it (once per process: later
 * calls share the first). `o.force`: build even when the tag exists.
 */
export function toolsImage(o = {}) {
  if (built !== undefined && o.force !== true) return built;
  const builtins = gitBuiltins();
  const files = hostFiles();
  for (const f of files) if (!statSync(f).isFile()) throw new Error(`tools image: ${f} is not a file`);
  const tag = tagFor(files, builtins);
  if (o.force === true || !imageExists(tag)) {
    const dir = mkdtempSync(join(tmpdir(), 'mbt-tools-'));
    try {
      writeContext(dir, files, builtins);
      execFileSync('docker', ['build', '-q', '--network', 'none', '-t', tag, dir], {
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  built = tag;
  return tag;
}
