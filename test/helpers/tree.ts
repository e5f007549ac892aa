/** A listing of a folder (names, sizes, mtimes) to prove a command wrote nothing. */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const st = lstatSync(join(d, name));
      out.push(`${rel}${name} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(join(d, name), `${rel}${name}/`);
    }
  };
  walk(dir, '');
  return out;
}
