/**
 * What a Dockerfile asks of a BuildKit session: `RUN --mount=type=secret` (its `id`, else the
 * basename of its `target`, as BuildKit defaults it) and `RUN --mount=type=ssh` (its `id`,
 * else `default`), in every stage. A value holding `$` is left out: which id it names is
 * known only to the frontend.
 */
import { posix } from 'node:path';
import type { ParsedDockerfile } from './parse.js';
import { parseCsvFields } from './words.js';

export interface SessionMount {
  readonly kind: 'secret' | 'ssh';
  readonly id: string;
  readonly line: number;
  /** The flag as written, `--mount=type=secret,id=npmrc`, to underline it. */
  readonly written: string;
}

export function sessionMounts(parsed: ParsedDockerfile): SessionMount[] {
  const out: SessionMount[] = [];
  for (const ins of parsed.instructions) {
    if (ins.keyword !== 'RUN') continue;
    for (const f of ins.flags) {
      if (f.name !== 'mount' || f.value === null) continue;
      const fields = parseCsvFields(f.value);
      const kind = fields.get('type')?.toLowerCase();
      if (kind !== 'secret' && kind !== 'ssh') continue;
      const target = fields.get('target') ?? fields.get('dst') ?? fields.get('destination');
      const id = fields.get('id') ?? (kind === 'ssh' ? 'default' : target !== undefined ? posix.basename(target) : undefined);
      if (id === undefined || id === '' || id.includes('$')) continue;
      out.push({ kind, id, line: ins.startLine, written: `--mount=${f.value}` });
    }
  }
  return out;
}
