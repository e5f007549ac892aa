/**
 * An engine of the pool as written: `--engine ENDPOINT[,slots=N][,name=NAME]`, and the
 * checks the engines file shares (an endpoint, a docker context name, slots, a name).
 * ENDPOINT is `unix://…`, `tcp://…`, `ssh://…`, or a docker context name (no `://`).
 */
import { err, ok, type Result } from '../core/result.js';
import type { EngineEntry } from './types.js';

/** The docker CLI's context-name grammar (cli/context/store: `restrictedNamePattern`). */
export const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

/** Builds at once on one engine, at most. */
export const MAX_SLOTS = 256;

const SCHEMES = ['unix', 'tcp', 'ssh'] as const;

/** What a problem of an endpoint says; undefined when `host` can be used. */
export function hostProblem(host: string): string | undefined {
  const at = host.indexOf('://');
  if (at === -1) return `'${host}' is not an endpoint: write unix://PATH, tcp://HOST:PORT or ssh://[USER@]HOST`;
  const scheme = host.slice(0, at);
  const rest = host.slice(at + 3);
  if (!(SCHEMES as readonly string[]).includes(scheme)) return `'${host}': the scheme must be unix://, tcp:// or ssh://`;
  if (scheme === 'unix') return rest === '' ? `'${host}': no socket path after unix://` : undefined;
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    return `'${host}' is not a valid URL`;
  }
  if (url.hostname === '') return `'${host}': no host after ${scheme}://`;
  if (url.pathname !== '' && url.pathname !== '/') return `'${host}': ${scheme}:// takes no path`;
  return undefined;
}

/** What a problem of a docker context name says; undefined when it is one. */
export const contextProblem = (name: string): string | undefined =>
  CONTEXT_NAME.test(name) ? undefined : `'${name}' is not a docker context name (letters, digits and _.+-, at least two, starting with a letter or digit)`;

export const slotsProblem = (slots: string): string | undefined =>
  /^[0-9]+$/.test(slots) && Number(slots) >= 1 && Number(slots) <= MAX_SLOTS
    ? undefined
    : `slots must be a whole number from 1 to ${MAX_SLOTS}, not '${slots}'`;

/** A name is shown in rows, events and `plan`: no blank and no control character. */
export const nameProblem = (name: string): string | undefined =>
  name === '' ? 'name is empty' : /[\s\p{Cc}]/u.test(name) ? `name '${name}' holds a blank or a control character` : undefined;

const OPTIONS = ['slots', 'name'];

/** `--engine SPEC`: the entry, or what is wrong with the spec (one message). */
export function parseEngineFlag(text: string): Result<EngineEntry, string> {
  const bad = (why: string): Result<EngineEntry, string> => err(`--engine '${text}': ${why}`);
  const [endpoint = '', ...options] = text.split(',').map((s) => s.trim());
  if (endpoint === '') return bad('no endpoint: write unix://PATH, tcp://HOST:PORT, ssh://[USER@]HOST or a docker context name, then ,slots=N or ,name=NAME');
  const where = endpoint.includes('://') ? hostProblem(endpoint) : contextProblem(endpoint);
  if (where !== undefined) return bad(where);
  const given = new Map<string, string>();
  for (const option of options) {
    const eq = option.indexOf('=');
    const key = eq === -1 ? option : option.slice(0, eq).trim();
    if (!OPTIONS.includes(key)) return bad(`unknown option '${key}' (the options are slots=N and name=NAME)`);
    if (eq === -1) return bad(`${key} needs a value: ${key}=${key === 'slots' ? 'N' : 'NAME'}`);
    if (given.has(key)) return bad(`${key} is given twice`);
    given.set(key, option.slice(eq + 1).trim());
  }
  const slots = given.get('slots');
  const problem = (slots !== undefined ? slotsProblem(slots) : undefined) ?? (given.has('name') ? nameProblem(given.get('name')!) : undefined);
  if (problem !== undefined) return bad(problem);
  const isHost = endpoint.includes('://');
  return ok({
    name: given.get('name') ?? endpoint,
    ...(isHost ? { host: endpoint } : { context: endpoint }),
    ...(slots !== undefined && { slots: Number(slots) }),
    origin: { kind: 'flag', text },
  });
}
