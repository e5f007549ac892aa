/** The text of `mbuild context IMAGE` (and `--why PATH`); JSON is the report itself. */
import { formatBytes } from '../core/units.js';
import type { ContextReport, MountReport, WhyReport } from './inspect.js';

export const sizeText = formatBytes;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function table(rows: string[][], indent = '  '): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return rows.map(
    (r) =>
      indent +
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
  );
}

function mountLines(m: MountReport): string[] {
  const head = `${m.source} -> ${m.to}: ${m.note}`;
  if (m.status !== 'listed') return [`  ${head}`];
  const out = [`  ${head}: ${plural(m.files, 'file')}, ${sizeText(m.bytes)}`];
  const rows = m.entries.map((e) => [
    e.type === 'dir' ? `${e.path}/` : e.path,
    e.type === 'file'
      ? sizeText(e.size)
      : e.type === 'dir'
        ? 'folder'
        : e.type === 'symlink'
          ? `-> ${e.linkTarget ?? ''}`
          : `hard link to ${e.linkTarget ?? ''}`,
    `from ${m.source}`,
  ]);
  out.push(...table(rows, '    '));
  if (m.error) out.push(`    error: ${m.error}`);
  return out;
}

/** `shown` turns an absolute path into how the user sees it (relative to the working folder). */
export function contextText(r: ContextReport, shown: (p: string) => string): string {
  const out: string[] = [];
  const c = r.context;
  out.push(`context of image '${r.image}': ${shown(r.root)}`);
  out.push(
    `  Dockerfile in the tar: ${r.dockerfileInTar}${r.injected.length > 0 ? ` (injected by mbuild with ${r.injected.filter((n) => n !== r.dockerfileInTar).join(', ')})` : ''}`,
  );
  out.push(`  ignore file: ${r.ignoreFile === null ? 'none' : shown(r.ignoreFile)}`);
  out.push(`  from the context folder: ${plural(c.files, 'file')}, ${sizeText(c.bytes)}, ${plural(c.folders, 'folder')}, ${plural(c.symlinks, 'symlink')}`);
  const mounted = r.mounts.reduce((n, m) => n + m.files, 0);
  if (r.mounts.length > 0) out.push(`  from ${plural(r.mounts.length, 'mount')}: ${plural(mounted, 'file')}, ${sizeText(r.total.bytes - c.bytes)}`);
  out.push(`  total sent: ${plural(r.total.files, 'file')}, ${sizeText(r.total.bytes)}`);
  out.push(...inputLines(r.inputs));
  if (r.largestFolders.length > 0) {
    out.push('', 'largest folders:');
    out.push(...table(r.largestFolders.map((f) => [`${f.path}/`, sizeText(f.bytes), plural(f.files, 'file')])));
  }
  if (r.mounts.length > 0) {
    out.push('', 'mounted entries:');
    for (const m of r.mounts) out.push(...mountLines(m));
  }
  if (r.collisions.length > 0) {
    out.push('', 'collisions (the build would fail):');
    for (const x of r.collisions) out.push(`  ${x}`);
  }
  if (r.warnings.length > 0) {
    out.push('', 'warnings:');
    for (const w of r.warnings) out.push(`  ${w}`);
  }
  return `${out.join('\n')}\n`;
}

/** What the Dockerfile reads, line by line, and what no instruction reads. */
function inputLines(i: ContextReport['inputs']): string[] {
  if (i.whole !== null) return ['', `read: the whole context (${i.whole})`];
  const rows = i.reads.map((r) => [
    r.path === '' ? '.' : r.path,
    `${plural(r.files, 'file')}, ${sizeText(r.bytes)}`,
    r.line === null ? r.text : `line ${r.line}: ${r.text}`,
  ]);
  return [
    '',
    'read by the Dockerfile (only this is sent and hashed, with the Dockerfile and .dockerignore):',
    ...table(rows),
    `not read by any instruction (neither sent nor hashed): ${plural(i.notRead.files, 'file')}, ${sizeText(i.notRead.bytes)}`,
  ];
}

export function whyText(w: WhyReport): string {
  const missing = w.existsInContext || w.reason === 'mount' || w.reason === 'injected' ? '' : ' (there is no such path in the context folder now)';
  return `${w.path}: ${w.detail}${missing}\n`;
}
