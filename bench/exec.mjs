// Child processes of a bench: run with a deadline, remembered until they end (so a Ctrl-C can
// stop them), and refused once the bench is interrupted.

/**
 * `exec(cmd, args, {cwd, env, allowFail})` resolves to `{code, wallMs, stdout, stderr}` and
 * rejects on a non-zero exit unless `allowFail`, or once the bench is interrupted; `children`
 * holds the processes still running; `interrupted()` says whether a SIGINT or SIGTERM came
 * (`stopOnSignals` installs the handlers: the running commands are stopped, the step under way
 * fails, and the bench's `finally` stops the rest).
 */
export function processRunner({ spawn, timeoutMs, log }) {
  const children = new Set();
  let stopping = false;
  const interrupted = () => stopping;
  const stopOnSignals = () => {
    const onSignal = (signal) => {
      if (stopping) return log(`${signal}: still stopping`);
      stopping = true;
      log(`${signal}: stopping everything the bench started`);
      for (const child of children) child.kill('SIGTERM');
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  };
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
  return { exec, children, interrupted, stopOnSignals };
}
