/**
 * The classic builder turns each entry of the `labels` build parameter into a LABEL step
 * of its own (a container and a commit each: mbuild's three labels cost three steps per
 * image). For the classic builder mbuild instead sends the Dockerfile with one LABEL
 * instruction added at the end of the stage being built: one step for all labels, the
 * same labels on the image. Only when that is plainly safe: every label is written in
 * double quotes, so keys and values holding `"`, `\`, `$`, a backtick or a line break
 * (or a Dockerfile the parser cannot read, or a target it cannot find) keep the parameter.
 */
import { parseDockerfile } from './parse.js';

const PLAIN = /^[^"\\$`\r\n]*$/;

/** The Dockerfile with one LABEL instruction closing the built stage, or undefined to use the `labels` parameter. */
export function withLabelInstruction(text: string, target: string | undefined, labels: Readonly<Record<string, string>>): string | undefined {
  const entries = Object.entries(labels);
  if (entries.length === 0 || entries.some(([k, v]) => k === '' || !PLAIN.test(k) || !PLAIN.test(v))) return undefined;
  // Bytes that are not UTF-8 could not be sent back unchanged.
  if (text.includes('\uFFFD')) return undefined;
  const df = parseDockerfile(text);
  if (df.errors.length > 0) return undefined;
  const stages = df.instructions.flatMap((ins, i) => (ins.keyword === 'FROM' ? [i] : []));
  if (stages.length === 0) return undefined;
  let stage = stages.length - 1;
  if (target !== undefined) {
    stage = stages.findIndex((i) => {
      const words = df.instructions[i]!.args.trim().split(/\s+/);
      return words.length === 3 && words[1]!.toUpperCase() === 'AS' && words[2]!.toLowerCase() === target.toLowerCase();
    });
    if (stage === -1) return undefined;
  }
  const label = `LABEL ${entries.map(([k, v]) => `"${k}"="${v}"`).join(' ')}`;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  if (stage === stages.length - 1) return `${text}${text === '' || text.endsWith('\n') ? '' : eol}${label}${eol}`;
  // Right after the stage's last instruction: the lines of every instruction before it keep their numbers.
  const last = df.instructions[stages[stage + 1]! - 1]!;
  const lines = text.split('\n');
  lines.splice(last.endLine, 0, eol === '\r\n' ? `${label}\r` : label);
  return lines.join('\n');
}

/** How a failed label step of mbuild's is named (the classic builder's own name would count it). */
export const LABEL_STEP = "mbuild's LABEL step";

/**
 * The classic builder counts label steps as steps of the build (`[3/4]` for a Dockerfile of
 * three), and they are always its last ones: the LABEL line closes the built stage, where the
 * builder stops, and label parameters become steps after it. A classic step name `[n/m] …`
 * as the user should see it, counted over the Dockerfile's own steps; undefined for one of
 * the `labelSteps` steps that are mbuild's.
 */
export function userStepName(name: string, labelSteps: number): string | undefined {
  const m = /^\[(\d+)\/(\d+)\]( [\s\S]*)?$/.exec(name);
  if (labelSteps === 0 || !m) return name;
  const total = Number(m[2]) - labelSteps;
  return Number(m[1]) > total ? undefined : `[${m[1]!}/${total}]${m[3] ?? ''}`;
}

/**
 * How many of a classic build's last steps are mbuild's: none without labels to set (mbuild's
 * marks are then a tag), one for a LABEL line (`sent` empty: the labels are in the
 * Dockerfile), else one per label parameter. BuildKit: none.
 */
export function labelSteps(classic: boolean, labels: Readonly<Record<string, string>>, sent: Readonly<Record<string, string>>): number {
  if (!classic || Object.keys(labels).length === 0) return 0;
  return Math.max(1, Object.keys(sent).length);
}
