/**
 * Where a Dockerfile line is, for diagnostics: a line of a Dockerfile on disk, or the
 * same line of a `dockerfile_inline` block scalar (`|`) in the build file. An inline text
 * written any other way cannot be mapped line by line; its whole value is located and the
 * message names the line.
 */
import { lineRange, type Location, type Range, type SourceFile } from '../core/diagnostic.js';
import type { BuildFile, ImageSpec } from '../config/types.js';

/** The Dockerfile text a diagnostic can point into. */
export interface DockerfileText {
  readonly source: SourceFile;
  /** For `dockerfile_inline`: the build file's value node holding it (looked up only for a diagnostic). */
  readonly inline?: () => Location;
}

/** The build file's range of line `line` of a block scalar value, if it is one. */
function blockScalarLine(value: Location, line: number): Range | undefined {
  const { text } = value.file;
  const start = value.range.offset;
  if (text[start] !== '|') return undefined;
  const header = text.indexOf('\n', start);
  if (header === -1) return undefined;
  return lineRange(text, line, header + 1, start + value.range.length);
}

/** Line `line` of the Dockerfile (whole line underlined), and the message to print with it. */
export function dockerfileLine(df: DockerfileText, line: number, message: string): { location: Location; message: string } {
  if (df.inline === undefined) {
    return { location: { file: df.source, range: lineRange(df.source.text, line) ?? { offset: df.source.text.length, length: 0 } }, message };
  }
  const value = df.inline();
  const range = blockScalarLine(value, line);
  return range ? { location: { file: value.file, range }, message } : { location: value, message: `dockerfile_inline line ${line}: ${message}` };
}

/** A word on line `line` (e.g. the reference of a FROM), underlined when the line holds it as written. */
export function dockerfileWord(df: DockerfileText, line: number, word: string, message: string): { location: Location; message: string } {
  const at = dockerfileLine(df, line, message);
  const { file, range } = at.location;
  const inLine = word === '' ? -1 : file.text.slice(range.offset, range.offset + range.length).indexOf(word);
  if (at.message !== message || inLine === -1) return at;
  return { location: { file, range: { offset: range.offset + inLine, length: word.length } }, message };
}

/** The text of an image's Dockerfile as diagnostics locate it. */
export function dockerfileText(file: BuildFile, image: ImageSpec, source: SourceFile): DockerfileText {
  if (image.dockerfile.kind === 'file') return { source };
  return { source, inline: () => file.locate.value(image.origins.keys['dockerfile_inline'] ?? image.origins.self) };
}
