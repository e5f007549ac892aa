/**
 * Where two mounts of one image would land on each other: targets (relative `/` paths in a
 * context) that are equal or nested. The `mount-collision` rule reports them before
 * anything runs (config/rules/mounts.ts); a build refuses them too (mounts/sources.ts).
 */

/** `a` is `b` or a folder that holds it. */
export const coversPath = (a: string, b: string): boolean => a === b || b.startsWith(`${a}/`);

/** A context path a mount puts there (or puts something into, or below): it is not looked for in the context folder. */
export const mountedAt = (path: string, mounts: readonly { readonly to: string }[]): boolean =>
  mounts.some((m) => m.to === '' || coversPath(m.to, path) || coversPath(path, m.to));

/** Pairs of mounts whose targets are equal or nested (`static` and `static/js`): each with the first earlier mount it meets. */
export function mountOverlaps<M extends { readonly to: string }>(mounts: readonly M[]): { first: M; second: M }[] {
  const out: { first: M; second: M }[] = [];
  mounts.forEach((second, j) => {
    const first = mounts.slice(0, j).find((m) => m.to !== '' && second.to !== '' && (coversPath(m.to, second.to) || coversPath(second.to, m.to)));
    if (first) out.push({ first, second });
  });
  return out;
}
