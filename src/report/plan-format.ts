/** Renders a BuildPlan: `mbuild plan` (text or JSON) and `mbuild graph` (dot, mermaid, JSON). */
import type { BuildPlan } from '../plan/types.js';
import type { GraphColours } from './pool-format.js';

/** What `plan` says of an image's freshness (cache/predict.ts predicts it). */
export type Verdict = { readonly image: string; readonly fresh: true } | { readonly image: string; readonly fresh: false; readonly reasons: readonly string[] };

/** `placed`: with an engine pool, the engine each image that would be built is built on. */
export function planText(plan: BuildPlan, predictions?: readonly Verdict[], placed?: ReadonlyMap<string, string>): string {
  const verdict = new Map(predictions?.map((p) => [p.image, p.fresh ? 'fresh' : `stale: ${p.reasons.join('; ')}`]));
  const lines = [
    `project ${plan.project}: ${plan.images.length} image${plan.images.length === 1 ? '' : 's'} in ${plan.waves.length} wave${plan.waves.length === 1 ? '' : 's'}`,
    '',
  ];
  const byName = new Map(plan.images.map((x) => [x.name, x]));
  plan.waves.forEach((wave, i) => {
    lines.push(`wave ${i + 1}:`);
    for (const name of wave) {
      const image = byName.get(name)!;
      const deps = image.dependsOn.map(
        (e) => `${e.image} (${e.kind}${e.kind === 'args' || e.kind === 'mounts' || e.kind === 'depends_on' ? '' : `, ${e.detail}`})`,
      );
      lines.push(`  ${name}${deps.length > 0 ? ` <- ${deps.join(', ')}` : ''}`);
      const v = verdict.get(name);
      if (v !== undefined) lines.push(`      ${v}`);
      const on = placed?.get(name);
      if (on !== undefined) lines.push(`      engine: ${on}`);
    }
  });
  lines.push('', `critical path: ${plan.criticalPath.join(' -> ')} (${plan.criticalPath.length} image${plan.criticalPath.length === 1 ? '' : 's'})`);
  lines.push('Waves are for reading only: each image starts as soon as its own inputs are built.');
  if (predictions) {
    const stale = predictions.filter((p) => !p.fresh).length;
    lines.push(`${stale} of ${predictions.length} image${predictions.length === 1 ? '' : 's'} would be built.`);
  }
  return `${lines.join('\n')}\n`;
}

/** `b, c: same key as a — built once`, one line per key several images share; nothing when none does. */
export function duplicatesText(duplicates: readonly { readonly image: string; readonly same: readonly string[] }[]): string {
  if (duplicates.length === 0) return '';
  const lines = duplicates.map((d) => `  ${d.same.join(', ')}: same key as ${d.image} — built once`);
  return `duplicates:\n${lines.join('\n')}\n`;
}

const q = (s: string): string => JSON.stringify(s);

/** One edge per pair of images, in the plan's order, labelled with every kind of it once (`from, copy-from`). */
export function graphEdges(plan: BuildPlan): { readonly from: string; readonly to: string; readonly label: string }[] {
  const edges: { from: string; to: string; label: string }[] = [];
  for (const image of plan.images) {
    const kinds = new Map<string, string[]>();
    for (const e of image.dependsOn) {
      const seen = kinds.get(e.image);
      if (seen === undefined) kinds.set(e.image, [e.kind]);
      else if (!seen.includes(e.kind)) seen.push(e.kind);
    }
    for (const [from, k] of kinds) edges.push({ from, to: image.name, label: k.join(', ') });
  }
  return edges;
}

/** Fresh images, with a pool: not built, on home. */
const FRESH = 'up to date';

/** `colours`: each node filled with its engine's colour, and a legend cluster (fresh nodes dashed, unfilled). */
export function graphDot(plan: BuildPlan, colours?: GraphColours): string {
  const lines = [`digraph ${q(plan.project)} {`, '  rankdir=LR;', '  node [shape=box];'];
  const fill = new Map(colours?.engines.map((e) => [e.name, e.colour]));
  for (const image of plan.images) {
    const on = colours?.of.get(image.name);
    const style = colours === undefined ? '' : on === undefined ? ' [style=dashed]' : ` [style=filled, fillcolor=${q(fill.get(on)!)}]`;
    lines.push(`  ${q(image.name)}${style};`);
  }
  for (const e of graphEdges(plan)) lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.label)}];`);
  if (colours !== undefined) {
    lines.push('  subgraph "cluster_legend" {', '    label="engines";', '    style=dashed;');
    colours.engines.forEach((e, i) => lines.push(`    ${q(`legend ${i}`)} [label=${q(e.name)}, style=filled, fillcolor=${q(e.colour)}];`));
    lines.push(`    ${q('legend fresh')} [label=${q(FRESH)}, style=dashed];`, '  }');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** `colours`: a `classDef` per engine, each node in its engine's class, and a legend subgraph. */
export function graphMermaid(plan: BuildPlan, colours?: GraphColours): string {
  const ids = new Map(plan.images.map((image, i) => [image.name, `n${i}`]));
  // A plan holds every upstream of its images, so each name has an id.
  const id = (name: string): string => ids.get(name)!;
  const lines = ['graph LR'];
  for (const image of plan.images) lines.push(`  ${id(image.name)}["${image.name}"]`);
  for (const e of graphEdges(plan)) lines.push(`  ${id(e.from)} -->|${e.label}| ${id(e.to)}`);
  if (colours !== undefined) {
    lines.push('  subgraph legend [engines]');
    colours.engines.forEach((e, i) => lines.push(`    e${i}["${e.name}"]`));
    lines.push(`    efresh["${FRESH}"]`, '  end');
    colours.engines.forEach((e, i) => {
      const members = plan.images.filter((image) => colours.of.get(image.name) === e.name).map((image) => id(image.name));
      lines.push(`  classDef engine${i} fill:${e.colour},stroke:#333`, `  class ${[...members, `e${i}`].join(',')} engine${i}`);
    });
    const fresh = plan.images.filter((image) => !colours.of.has(image.name)).map((image) => id(image.name));
    lines.push('  classDef fresh fill:#fff,stroke:#333,stroke-dasharray:4 3', `  class ${[...fresh, 'efresh'].join(',')} fresh`);
  }
  return `${lines.join('\n')}\n`;
}

/** `colours`: each node's `engine` (absent: up to date), and the pool's `engines` with their colours. */
export function graphJson(plan: BuildPlan, colours?: GraphColours): string {
  const nodes = plan.images.map((i) => ({ name: i.name, wave: i.wave, ...(colours?.of.has(i.name) === true && { engine: colours.of.get(i.name) }) }));
  const edges = plan.images.flatMap((i) => i.dependsOn.map((e) => ({ from: e.image, to: i.name, kind: e.kind, detail: e.detail })));
  return `${JSON.stringify({ project: plan.project, ...(colours && { engines: colours.engines }), nodes, edges }, null, 2)}\n`;
}
