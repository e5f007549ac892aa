/**
 * Phase 5: semantic rules. Each rule is a small named function over the validated,
 * normalised file; it returns its diagnostics and never stops the others, so that
 * every problem is reported at once (changesets' `Rule[]`).
 */
import type { Diagnostic, Location, RelatedInformation } from '../../core/diagnostic.js';
import { byText } from '../../core/order.js';
import type { FsProbe } from '../fs-probe.js';
import type { BuildFile, WrittenBuildFile, YamlPath } from '../types.js';

export interface RuleContext {
  readonly written: WrittenBuildFile;
  readonly file: BuildFile;
  /** The load's file-system answers, shared by the rules (a rule run alone makes its own). */
  readonly probe?: FsProbe;
}

export type Rule = (ctx: RuleContext) => Diagnostic[];

export function error(code: string, message: string, location: Location, related?: RelatedInformation[]): Diagnostic {
  return { severity: 'error', code, message, location, ...(related && related.length > 0 && { related }) };
}

export function warning(code: string, message: string, location: Location): Diagnostic {
  return { severity: 'warning', code, message, location };
}

/** Every place one image names another: the edges of the graph as written. */
export interface Reference {
  readonly from: string;
  readonly to: string;
  readonly via: 'args' | 'mounts' | 'context' | 'contexts' | 'depends_on';
  /** Where the name is written. */
  readonly at: YamlPath;
}

/** In-file references of every image, in a stable order (args by name, then mounts, the context image, then depends_on). */
export function references(file: BuildFile): Reference[] {
  const out: Reference[] = [];
  for (const image of file.images.values()) {
    for (const [arg, value] of Object.entries(image.args).sort(([a], [b]) => byText(a, b))) {
      if (value.kind === 'image') {
        out.push({ from: image.name, to: value.image, via: 'args', at: [...(image.origins.args[arg] ?? []), 'image'] });
      }
    }
    for (const mount of image.mounts) {
      const sides = mount.source.kind === 'diff' ? [mount.source.base, mount.source.head] : [mount.source];
      for (const side of sides) {
        if (side.kind === 'image') out.push({ from: image.name, to: side.image, via: 'mounts', at: [...mount.origin, 'from'] });
      }
    }
    const c = image.contextImage;
    if (c?.source.kind === 'image') out.push({ from: image.name, to: c.source.image, via: 'context', at: [...c.origin, 'image'] });
    for (const [, c] of image.contexts)
      if (c.kind === 'image' && c.image !== image.name) out.push({ from: image.name, to: c.image, via: 'contexts', at: [...c.origin, 'image'] });
    const dependsOn = image.origins.keys['depends_on'] ?? [];
    image.dependsOn.forEach((dep, i) => out.push({ from: image.name, to: dep, via: 'depends_on', at: [...dependsOn, i] }));
  }
  return out;
}
