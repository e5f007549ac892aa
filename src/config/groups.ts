/**
 * Groups as the model sees them: each group's members resolved to image names, nested
 * groups expanded (a cycle between groups stops where it closes). A group is expanded when
 * it is first asked for, with an explicit stack: `up` of one group costs what that group
 * reaches, never every group's expansion (10,000 groups nesting each other, each adding one
 * image, would be 50 million names).
 */
export class ExpandedGroups implements ReadonlyMap<string, readonly string[]> {
  private readonly expanded = new Map<string, readonly string[]>();
  private readonly names: readonly string[];

  constructor(private readonly written: Readonly<Record<string, readonly string[]>>) {
    this.names = Object.keys(written).sort();
  }

  get size(): number {
    return this.names.length;
  }

  has(group: string): boolean {
    return Object.hasOwn(this.written, group);
  }

  get(group: string): readonly string[] | undefined {
    if (!this.has(group)) return undefined;
    let members = this.expanded.get(group);
    if (members === undefined) this.expanded.set(group, (members = this.expand(group)));
    return members;
  }

  /** Images reached from `group`, in the order a depth-first walk meets them first. */
  private expand(group: string): string[] {
    const out = new Set<string>();
    const seen = new Set<string>([group]);
    const stack: { members: readonly string[]; i: number }[] = [{ members: this.written[group]!, i: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const member = top.members[top.i++];
      if (member === undefined) {
        stack.pop();
      } else if (!this.has(member)) {
        out.add(member);
      } else if (!seen.has(member)) {
        seen.add(member);
        const known = this.expanded.get(member);
        if (known !== undefined) for (const image of known) out.add(image);
        else stack.push({ members: this.written[member]!, i: 0 });
      }
    }
    return [...out];
  }

  *keys(): MapIterator<string> {
    yield* this.names;
  }

  *values(): MapIterator<readonly string[]> {
    for (const name of this.names) yield this.get(name)!;
  }

  *entries(): MapIterator<[string, readonly string[]]> {
    for (const name of this.names) yield [name, this.get(name)!];
  }

  [Symbol.iterator](): MapIterator<[string, readonly string[]]> {
    return this.entries();
  }

  forEach(callback: (value: readonly string[], key: string, map: ReadonlyMap<string, readonly string[]>) => void): void {
    for (const [name, members] of this.entries()) callback(members, name, this);
  }
}
