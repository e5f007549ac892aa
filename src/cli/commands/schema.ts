/**
 * `mbuild schema`: prints the JSON Schema of the build file (schema/mbuild.schema.json of the
 * running mbuild), for an editor or a CI check; `--events` prints the schema of the
 * `--progress json` events (schema/events.schema.json) instead. The file as shipped, byte for
 * byte: it is read from the package folder, never rebuilt.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf, ok } from '../../core/result.js';
import { packageRoot } from '../../init/schema-path.js';
import type { CommandResult } from '../failure.js';
import { ExitCode, type CliIo } from '../io.js';

export interface SchemaOptions {
  readonly events?: boolean;
}

/** A schema file the package lacks is a broken installation (exit 1), never bad input. */
export async function schemaCommand(io: CliIo, opts: SchemaOptions): Promise<CommandResult> {
  const name = opts.events === true ? 'events.schema.json' : 'mbuild.schema.json';
  const root = packageRoot();
  const path = root === undefined ? `schema/${name}` : join(root, 'schema', name);
  try {
    if (root === undefined) throw new Error('no package folder holds it');
    io.stdout.write(await readFile(path, 'utf8'));
    return ok(ExitCode.ok);
  } catch (e) {
    io.stderr.write(`error: cannot read ${path} of this mbuild (a broken installation?): ${messageOf(e)}\n`);
    return ok(ExitCode.failed);
  }
}
