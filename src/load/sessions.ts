/**
 * A Dockerfile's `RUN --mount=type=secret,id=X` or `--mount=type=ssh[,id=X]` that its image
 * does not declare (`secrets:`, `ssh:`): a warning at the Dockerfile's line. The build gets
 * no such secret or key: the step fails, or runs without it when the mount is not `required`.
 */
import type { Diagnostic } from '../core/diagnostic.js';
import type { BuildFile } from '../config/types.js';
import type { ImageDockerfile } from '../dockerfile/images.js';
import { dockerfileWord } from '../dockerfile/location.js';

export function sessionMountProblems(file: BuildFile, dockerfiles: ReadonlyMap<string, ImageDockerfile>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const image of file.images.values()) {
    const df = dockerfiles.get(image.name);
    if (df === undefined) continue;
    const secrets = new Set(image.secrets.map((s) => s.id));
    const ssh = new Set(image.ssh.map((s) => s.id));
    for (const m of df.sessionMounts) {
      if ((m.kind === 'secret' ? secrets : ssh).has(m.id)) continue;
      const message =
        m.kind === 'secret'
          ? `image '${image.name}' declares no secret '${m.id}': add it under secrets: (e.g. ${m.id}: {env: VARIABLE} or {file: PATH}); the build will not get it`
          : `image '${image.name}' forwards no ssh '${m.id}': add ssh: [${m.id}] (the agent at $SSH_AUTH_SOCK) or ${m.id}=PATH; the build will not get it`;
      out.push({ severity: 'warning', code: 'session-mount-undeclared', ...dockerfileWord(df, m.line, m.written, message) });
    }
  }
  return out;
}
