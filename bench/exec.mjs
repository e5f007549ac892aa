// Child processes of a bench: run with a deadline, remembered until they end (so a Ctrl-C can
// stop them), and refused once the bench is interrupted.

/**
 * `exec(cmd, args, {cwd, env, allowFail})` resolves to `{code, wallMs, stdout, stderr}` and
 * rejects on a non-zero exit unless `allowFail`, or once `interrupted()` is true; `children`
 * holds the processes still running.
 */
export function processRunner({ spawn, timeoutMs, interrupted }) {
  const children = new Set();
  const exec = (cmd, args, o = {}) =>
    new Promise((resolve, reject) => {
      if (interrupted()) return reject(new Error('interrupted'));
      const started = performance.now();
      const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const done = () => {
        clearTimeout(timer);
        children.delete(child);
      };
      child.on('error', (e) => (done(), reject(e)));
      child.on('close', (code, signal) => {
        done();
        const wallMs = performance.now() - started;
        if (interrupted()) reject(new Error('interrupted'));
        else if (code !== 0 && !o.allowFail)
          reject(new Error(`${cmd} ${args.join(' ')} (in ${o.cwd ?? '.'}) exited ${code ?? signal}\n${stderr.slice(-3000)}${stdout.slice(-2000)}`));
        else resolve({ code, wallMs, stdout, stderr });
      });
    });
  return { exec, children };
}
