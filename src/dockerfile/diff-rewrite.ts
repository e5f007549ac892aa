/**
 * The Dockerfile mbuild sends for one with diffs (diff-refs.ts): each use reads the diff from
 * the build context, where mbuild places it under `.mbuild-diff/<slot>/`:
 *   COPY --from=a..b /x /y                 -> COPY .mbuild-diff/0/x /y
 *   RUN --mount=from=a..b,source=s,target=t -> RUN --mount=type=bind,source=.mbuild-diff/0/s,target=t
 *   FROM a..b AS x                         -> FROM scratch AS x, then COPY .mbuild-diff/0/ /
 * A rewritten instruction takes its first line; its other lines become empty, so every
 * instruction keeps its line, except after a one-line `FROM a..b`, whose COPY is a line of
 * mbuild's (`inserted`; `userLine` maps a line of the sent text back). Pure: the user's file
 * is never written.
 */
import type { Instruction, ParsedDockerfile } from './parse.js';
import type { DiffUse } from './diff-refs.js';
import { parseCsvFields, splitWordsRaw, type Flag } from './words.js';

/** The context folder of mbuild's diffs (a context file there collides with them: the splice reports it). */
export const DIFF_FOLDER = '.mbuild-diff';
export const diffFolder = (slot: number): string => `${DIFF_FOLDER}/${slot}`;

/**
 * One instruction that reads a folder of the context instead of `--from` / `from=`: a diff
 * (`.mbuild-diff/<slot>`) or a `contexts:` folder inside an image (`.mbuild-context/<name>`).
 */
export interface FolderUse {
  readonly kind: DiffUse['kind'];
  readonly instruction: Instruction;
  /** For `RUN --mount=from=`: the index of that `--mount` flag in `instruction.flags`. */
  readonly flag?: number;
  readonly folder: string;
}

/** The diffs' uses as folder uses. */
export const diffUses = (uses: readonly DiffUse[]): FolderUse[] =>
  uses.map((u) => ({ kind: u.kind, instruction: u.instruction, ...(u.flag !== undefined && { flag: u.flag }), folder: diffFolder(u.slot) }));

export interface RewrittenDockerfile {
  readonly text: string;
  /** 1-based lines of the sent text that are mbuild's own (the COPY after a `FROM a..b`), ascending. */
  readonly inserted: readonly number[];
}

/** A line of the sent text as a line of the user's Dockerfile (an inserted line: the FROM above it). */
export function userLine(sent: RewrittenDockerfile, line: number): number {
  let shift = 0;
  for (const i of sent.inserted) if (i <= line) shift++;
  return line - shift;
}

const BARE = /^[^\s"'\\]*$/;
const quoted = (v: string): string => (BARE.test(v) ? v : `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`);
const flagText = (f: Flag): string => (f.value === null ? `--${f.name}` : `--${f.name}=${quoted(f.value)}`);

/** `/usr/bin/x` (a path of the source image) -> `.mbuild-diff/0/usr/bin/x`, quotes kept outside. */
function inFolder(folder: string, word: string): string {
  const q = word.startsWith('"') || word.startsWith("'") ? word[0]! : '';
  const rest = word.slice(q.length).replace(/^\/+/, '');
  return `${q}${folder}/${rest}`;
}

function copyLine(ins: Instruction, use: FolderUse, escape: string): string | undefined {
  if (ins.heredocs.length > 0) return undefined;
  const flags = ins.flags.filter((f) => f.name !== 'from').map(flagText);
  if (ins.json !== null) {
    if (ins.json.length < 2) return undefined;
    const sources = ins.json.slice(0, -1).map((s) => `${use.folder}/${s.replace(/^\/+/, '')}`);
    return [ins.keyword, ...flags, JSON.stringify([...sources, ins.json[ins.json.length - 1]!])].join(' ');
  }
  const words = splitWordsRaw(ins.args, escape);
  if (words.length < 2) return undefined;
  return [ins.keyword, ...flags, ...words.slice(0, -1).map((w) => inFolder(use.folder, w)), words[words.length - 1]!].join(' ');
}

const csvValue = (v: string): string => (/[,"]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** A `--mount` value reading the diff from the context instead of `from=`. */
export const diffMountValue = (value: string, slot: number): string => folderMountValue(value, diffFolder(slot));

/** A `--mount` value reading `folder` of the context instead of `from=`. */
export function folderMountValue(value: string, folder: string): string {
  const fields = parseCsvFields(value);
  const source = fields.get('source') ?? fields.get('src') ?? '';
  const out = new Map<string, string>([['type', 'bind']]);
  for (const [k, v] of fields) if (!['from', 'source', 'src', 'type'].includes(k)) out.set(k, v);
  out.set('source', `${folder}${source.replace(/^\/+/, '') === '' ? '' : `/${source.replace(/^\/+/, '')}`}`);
  return [...out].map(([k, v]) => `${k}=${csvValue(v)}`).join(',');
}

function runLine(ins: Instruction, uses: readonly FolderUse[]): string {
  const flags = ins.flags.map((f, i) => {
    const use = uses.find((u) => u.flag === i);
    return use === undefined ? flagText(f) : flagText({ name: 'mount', value: folderMountValue(f.value ?? '', use.folder) });
  });
  return [ins.keyword, ...flags, ins.args].filter((w) => w !== '').join(' ');
}

function fromLine(ins: Instruction, escape: string): string {
  const words = splitWordsRaw(ins.args, escape);
  return [ins.keyword, ...ins.flags.map(flagText), 'scratch', ...words.slice(1)].join(' ');
}

/** The Dockerfile text to send; undefined when no instruction has a diff (send the user's text). */
export const rewriteDiffs = (text: string, df: ParsedDockerfile, uses: readonly DiffUse[]): RewrittenDockerfile | undefined =>
  rewriteFolders(text, df, diffUses(uses));

/** The Dockerfile text to send, each use reading its folder of the context; undefined when there is none. */
export function rewriteFolders(text: string, df: ParsedDockerfile, uses: readonly FolderUse[]): RewrittenDockerfile | undefined {
  if (uses.length === 0) return undefined;
  const lines = text.split('\n');
  const cr = (i: number): string => (lines[i]?.endsWith('\r') ? '\r' : '');
  const byInstruction = new Map<Instruction, FolderUse[]>();
  for (const u of uses) byInstruction.set(u.instruction, [...(byInstruction.get(u.instruction) ?? []), u]);
  const inserts: { after: number; line: string }[] = [];
  for (const [ins, mine] of byInstruction) {
    const first = mine[0]!;
    const start = ins.startLine - 1;
    const put = (logical: string, keep = false): void => {
      lines[start] = logical + cr(start);
      if (!keep) for (let i = start + 1; i < ins.endLine; i++) lines[i] = cr(i);
    };
    if (first.kind === 'from') {
      put(fromLine(ins, df.escape));
      const copy = `COPY ${first.folder}/ /`;
      // A FROM of several lines has an empty line to hold the COPY; else one line is added.
      if (ins.endLine > ins.startLine) lines[start + 1] = copy + cr(start + 1);
      else inserts.push({ after: ins.startLine, line: copy + cr(start) });
    } else if (first.kind === 'copy-from') {
      const line = copyLine(ins, first, df.escape);
      if (line !== undefined) put(line);
    } else if (ins.heredocs.length === 0) put(runLine(ins, mine));
    else if (!/[\\`]\r?$/.test(lines[start] ?? '')) put(runLine(ins, mine), true); // the body follows the first line: kept
  }
  const inserted: number[] = [];
  inserts.sort((a, b) => a.after - b.after);
  inserts.forEach((ins, k) => {
    lines.splice(ins.after + k, 0, ins.line);
    inserted.push(ins.after + k + 1);
  });
  return { text: lines.join('\n'), inserted };
}
