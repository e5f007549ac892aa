/**
 * Whether an image's build needs a BuildKit session: it declares secrets or ssh forwarding.
 * In core (structurally typed) so that execute/ and cli/ can both ask.
 */
export interface SessionNeeds {
  readonly secrets: readonly unknown[];
  readonly ssh: readonly unknown[];
}

/** Whether a build needs a BuildKit session (secrets or ssh). */
export const needsSession = (image: SessionNeeds): boolean => image.secrets.length > 0 || image.ssh.length > 0;
