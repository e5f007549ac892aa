/**
 * `mbuild push [NAMES...]`: pushes the tags of the selected images (and of the images they
 * depend on, as `up` would build them) as the engine has them now, without building, under
 * `--push-jobs`. Exit 1 when a tag cannot be pushed (the tag and the registry's message are
 * printed), 130 when interrupted.
 */
import { ok } from '../../core/result.js';
import { pushTags } from '../../execute/publish.js';
import { PlainReporter } from '../../report/plain.js';
import { connect } from '../engine.js';
import type { CommandResult } from '../failure.js';
import { ExitCode, type CliIo } from '../io.js';
import { planFor, type GlobalOptions } from '../load.js';
import { registriesFor } from '../registries.js';
import { abortOnSignals } from '../signals.js';

export interface PushOptions extends GlobalOptions {
  readonly pushJobs: number;
  readonly quiet?: boolean;
}

export async function pushCommand(io: CliIo, names: readonly string[], opts: PushOptions): Promise<CommandResult> {
  const planned = await planFor(io, opts, names);
  if (!planned.ok) return planned;
  const { file, plan } = planned.value;
  const registries = await registriesFor(
    io,
    file,
    plan.images.map((i) => i.name),
    { push: true, pushJobs: opts.pushJobs },
  );
  if (!registries.ok) return registries;
  const connected = await connect(io, { ...opts, builder: 'auto' });
  if (!connected.ok) return connected;
  const { engine } = connected.value;
  const access = registries.value.access;
  if (access === undefined) return ok(ExitCode.ok);
  const reporter = new PlainReporter({ stdout: io.stdout, stderr: io.stderr, env: io.env, logPath: () => '' }, { quiet: opts.quiet === true });
  const signals = abortOnSignals();
  try {
    const failures = await Promise.all(
      plan.images.map(async ({ name }) => {
        const image = file.images.get(name);
        if (image === undefined) return undefined;
        const c = { engine, emit: reporter.onEvent.bind(reporter), project: file.name, image, signal: signals.signal };
        return pushTags(c, access, undefined);
      }),
    );
    if (signals.signal.aborted) return ok(ExitCode.interrupted);
    return ok(failures.some((f) => f !== undefined) ? ExitCode.failed : ExitCode.ok);
  } finally {
    signals.dispose();
  }
}
