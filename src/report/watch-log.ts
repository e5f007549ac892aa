/** Prints watch-mode events: plain lines, or NDJSON with `--progress json`. */
import { unreachable } from '../core/result.js';
import type { WatchEvent } from '../watch/events.js';
import { shortId } from './format.js';

export function watchLog(out: NodeJS.WritableStream, json: boolean): (e: WatchEvent) => void {
  if (json) return (e) => out.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  return (e) => {
    switch (e.type) {
      case 'watch-ready':
        out.write(`watching ${e.images.length} image${e.images.length === 1 ? '' : 's'}${e.polling ? ' (polling)' : ''}: ${e.images.join(', ')}${e.note ? `\n${e.note}` : ''}\n`);
        break;
      case 'watch-change': {
        const shown = e.paths.slice(0, 3).join(', ') + (e.paths.length > 3 ? ` (+${e.paths.length - 3} more)` : '');
        out.write(`change: ${e.buildFile ? 'build file' : shown}${e.images.length > 0 ? ` -> ${e.images.join(', ')}` : ''}\n`);
        break;
      }
      case 'watch-reload':
        out.write(`${e.ok ? 'build file reloaded' : 'build file is invalid; keeping the last good one'}${e.message ? `:\n${e.message}` : ''}\n`);
        break;
      case 'watch-rebuilt':
        out.write(`rebuilt ${e.image}: ${shortId(e.imageId)} ${e.tags.join(' ')}\n`);
        break;
      case 'watch-hook':
        out.write(`[${e.image}] on-rebuild hook exited ${e.exitCode ?? 'by a signal'}${e.output ? `:\n${e.output.replace(/\n$/, '')}` : ''}\n`);
        break;
      case 'watch-paused':
        out.write(`paused ${e.image}: ${e.reason}\n`);
        break;
      case 'watch-idle':
        out.write('watching for changes...\n');
        break;
      default:
        unreachable(e);
    }
  };
}
