/** Expected problems are values, not exceptions (wireit's `Result`). */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
export const err = <E>(error: E): { readonly ok: false; readonly error: E } => ({ ok: false, error });

/** The message of what was thrown or rejected: an Error's, else the value as text. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What a promise settles to, as a value: what it resolved to, or what it rejected with. */
export const settled = <T>(promise: Promise<T>): Promise<Result<T, unknown>> => promise.then(ok, (e: unknown) => err(e));

/** Marks a switch as exhaustive: adding a union member breaks the build until every switch handles it. */
export function unreachable(value: never): never {
  throw new Error(`Internal error: unexpected value ${JSON.stringify(value)}`);
}
