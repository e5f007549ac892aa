/**
 * Rules about what a BuildKit session serves (`secrets`, `ssh`): every source is there
 * before anything is built (an environment variable is set, a file is a regular file within
 * the cap, a key or agent socket exists (and is no folder), $SSH_AUTH_SOCK is set for the agent), each at its
 * YAML value. No message holds a secret's value: only ids, variable names and paths.
 * `sessionProblems` is the check that needs the builder, run by the CLI once it is known.
 */
import { statSync } from 'node:fs';
import type { Diagnostic, Location } from '../../core/diagnostic.js';
import { secretFileProblem } from '../../core/secret-value.js';
import { needsSession } from '../../core/session-need.js';
import type { BuildFile, SshSpec, WrittenImage, YamlPath } from '../types.js';
import { isInside, show } from './paths.js';
import { error, type Rule } from './rule.js';

/** A host path as messages show it: relative inside the project, else absolute. */
const shown = (file: BuildFile, p: string): string => (isInside(file.root, p) ? show(file, p) : p);

/** A secret's `env` variable is set, its `file` is a regular file of at most 500 KiB. */
export const secretSourceMissing: Rule = ({ file }) => {
  const out: Diagnostic[] = [];
  const env = file.environment ?? {};
  for (const image of file.images.values()) {
    for (const s of image.secrets) {
      if (s.source.kind === 'env') {
        if (typeof (Object.hasOwn(env, s.source.name) ? env[s.source.name] : undefined) === 'string') continue;
        out.push(
          error(
            'secret-env-unset',
            `secret '${s.id}': environment variable ${s.source.name} is not set; set it, or write it in .env beside the build file or an --env-file`,
            file.locate.value([...s.origin, 'env']),
          ),
        );
        continue;
      }
      const problem = secretFileProblem(s.source.path);
      if (problem === undefined) continue;
      const message = problem.split(s.source.path).join(shown(file, s.source.path));
      out.push(error('secret-file-unusable', `secret '${s.id}': ${message}`, file.locate.value([...s.origin, 'file'])));
    }
  }
  return out;
};

/** A list item is underlined whole; a map entry at its id. */
const sshAt = (file: BuildFile, s: SshSpec): Location => (typeof s.origin.at(-1) === 'number' ? file.locate.value(s.origin) : file.locate.key(s.origin));

/** `ssh: [default]` needs $SSH_AUTH_SOCK, a socket (a dead agent's is gone); a key file or socket must exist. */
export const sshSourceMissing: Rule = ({ file }) => {
  const out: Diagnostic[] = [];
  const sock = file.environment?.['SSH_AUTH_SOCK'];
  for (const image of file.images.values()) {
    for (const s of image.ssh) {
      if (s.paths.length === 0 && (sock === undefined || sock === '')) {
        out.push(
          error(
            'ssh-agent-missing',
            `ssh '${s.id}' forwards the SSH agent at $SSH_AUTH_SOCK, which is not set; start an agent (eval "$(ssh-agent)"; ssh-add), or give a key: ${s.id}=~/.ssh/id_ed25519`,
            sshAt(file, s),
          ),
        );
      } else if (s.paths.length === 0 && statSync(sock!, { throwIfNoEntry: false })?.isSocket() !== true) {
        const why = `$SSH_AUTH_SOCK is ${sock!}, which is no socket: is the agent still running? (eval "$(ssh-agent)"; ssh-add)`;
        out.push(error('ssh-agent-gone', `ssh '${s.id}' forwards the SSH agent at $SSH_AUTH_SOCK, but ${why}`, sshAt(file, s)));
      }
      for (const p of s.paths) {
        const st = statSync(p, { throwIfNoEntry: false });
        if (st === undefined)
          out.push(error('ssh-path-missing', `ssh '${s.id}': ${shown(file, p)} does not exist (a private key file or an SSH agent socket)`, sshAt(file, s)));
        else if (st.isDirectory())
          out.push(error('ssh-path-folder', `ssh '${s.id}': ${shown(file, p)} is a folder; give a private key file or an SSH agent socket`, sshAt(file, s)));
      }
    }
  }
  return out;
};

/** An id written twice in one `ssh` list (a map cannot repeat a key: the YAML check refuses it). */
export const sshDuplicateId: Rule = ({ written, file }) => {
  const out: Diagnostic[] = [];
  const check = (image: WrittenImage | undefined, path: YamlPath): void => {
    if (!Array.isArray(image?.ssh)) return;
    const seen = new Set<string>();
    image.ssh.forEach((item, i) => {
      const id = item.split('=')[0]!;
      if (!seen.has(id)) return void seen.add(id);
      out.push(error('ssh-duplicate-id', `ssh id '${id}' is given twice in this list`, file.locate.value([...path, 'ssh', i])));
    });
  };
  check(written.defaults, ['defaults']);
  for (const [name, image] of Object.entries(written.images)) check(image, ['images', name]);
  return out;
};

/**
 * With the classic builder, which has no sessions, an image with `secrets` or `ssh` cannot
 * be built: one error at each `secrets:` / `ssh:` key, naming the images. `images`: those
 * about to be built (default: every image).
 */
export function sessionProblems(file: BuildFile, builder: 'buildkit' | 'classic', images: Iterable<string> = file.images.keys()): Diagnostic[] {
  if (builder !== 'classic') return [];
  const at = new Map<string, { path: YamlPath; what: 'secrets' | 'ssh'; images: string[] }>();
  for (const name of images) {
    const image = file.images.get(name);
    if (image === undefined || !needsSession(image)) continue;
    for (const what of ['secrets', 'ssh'] as const) {
      const path = image.origins.keys[what];
      if (image[what].length === 0 || path === undefined) continue;
      const key = JSON.stringify(path);
      const entry = at.get(key) ?? { path, what, images: [] };
      entry.images.push(name);
      at.set(key, entry);
    }
  }
  return [...at.values()].map(({ path, what, images: names }) =>
    error(
      `${what === 'secrets' ? 'secrets' : 'ssh'}-need-buildkit`,
      `${what === 'secrets' ? 'secrets need BuildKit (the classic builder has no sessions)' : 'ssh forwarding needs BuildKit (the classic builder has no sessions)'}: ` +
        `image${names.length === 1 ? '' : 's'} ${names.map((n) => `'${n}'`).join(', ')}; build with --builder buildkit or auto on an engine with BuildKit`,
      file.locate.key(path),
    ),
  );
}
