/**
 * Prints watch-mode events: plain lines, or NDJSON with `--progress json` (one object per
 * line with its `time`, like BuildEvents). Changed paths arrive relative to the project root.
 */
import type { WatchEvent } from '../core/events.js';
import { unreachable } from '../core/result.js';
import { shortId } from './format.js';
import { jsonLine } from './json-event.js';

export function watchLog(out: NodeJS.WritableStream, json: boolean): (e: WatchEvent) => void {
  if (json) return (e) => out.write(jsonLine(e));
  return (e) => out.write(`${plainLine(e)}\n`);
}

export function plainLine(e: WatchEvent): string {
  switch (e.type) {
    case 'watch-ready':
      return `watching ${e.images.length} image${e.images.length === 1 ? '' : 's'}${e.polling ? ' (polling)' : ''}: ${e.images.join(', ')}${e.note ? `\nwarning: ${e.note}` : ''}`;
    case 'watch-change': {
      const total = e.paths.length + e.more;
      const listed = e.paths.slice(0, 3).join(', ') + (total > 3 ? ` (+${total - 3} more)` : '');
      return `change: ${listed}${e.images.length > 0 ? ` -> ${e.images.join(', ')}` : ''}`;
    }
    case 'watch-reload':
      return e.ok ? `build file reloaded: ${e.message}` : `the build file, an env file or a Dockerfile is invalid; keeping the last good plan:\n${e.message}`;
    case 'watch-rebuilt':
      return `rebuilt ${e.image}: ${shortId(e.imageId)}${e.tags.length > 0 ? ` ${e.tags.join(' ')}` : ''}`;
    case 'watch-hook':
      return `[${e.image}] on-rebuild hook exited ${e.exitCode ?? 'by a signal'}${e.output ? `:\n${e.output.replace(/\n$/, '')}` : ''}`;
    case 'watch-paused':
      return `paused ${e.image}: ${e.reason}`;
    case 'watch-waiting':
      if (e.upstream !== undefined) return `waiting ${e.image}: its upstream ${e.upstream} waits`;
      if (e.invalid !== undefined && e.invalid.length > 0) {
        const one = e.invalid.length === 1;
        return `waiting ${e.image}: ${e.invalid.join(', ')} ${one ? 'has' : 'have'} errors (above); ${e.image} is built when ${one ? 'it is' : 'they are'} fixed`;
      }
      return `waiting ${e.image}: ${e.missing.join(', ')} ${e.missing.length === 1 ? 'is' : 'are'} missing; ${e.image} is built when ${e.missing.length === 1 ? 'it is' : 'they are'} back`;
    case 'watch-warning':
      return `warning: ${e.message}`;
    case 'watch-probe':
      return `probe ${e.name}: ${e.idle ? 'idle' : 'busy'}`;
    case 'watch-idle':
      return 'watching for changes...';
    default:
      return unreachable(e);
  }
}
