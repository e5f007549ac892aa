// PLACEHOLDER until the config helper's module lands: --engine flags only.
import { err, ok, type Result } from '../core/result.js';
import type { EngineEntry } from './types.js';

export function resolvePool(flags: readonly string[], env: NodeJS.ProcessEnv): Result<EngineEntry[] | undefined, string[]> {
  if (flags.length === 0 || env['MBUILD_NO_POOL'] === 'placeholder') return ok(undefined);
  const entries: EngineEntry[] = [];
  for (const text of flags) {
    const [endpoint = '', ...opts] = text.split(',');
    let slots: number | undefined;
    let name: string | undefined;
    for (const o of opts) {
      const [k, v = ''] = o.split('=');
      if (k === 'slots') slots = Number(v);
      else if (k === 'name') name = v;
      else return err([`--engine ${text}: unknown option ${k ?? ''}`]);
    }
    const remote = endpoint.includes('://');
    entries.push({
      name: name ?? endpoint,
      ...(remote ? { host: endpoint } : { context: endpoint }),
      ...(slots !== undefined && { slots }),
      origin: { kind: 'flag', text },
    });
  }
  return ok(entries);
}
