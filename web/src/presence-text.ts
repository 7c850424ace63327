/** How a presence reads on the page: pure functions of the presence and the current time. */
import type { PresenceJson } from '../../client';

const MINUTE = 60_000;
const UNITS: readonly (readonly [Intl.RelativeTimeFormatUnit, number])[] = [
  ['year', 365 * 24 * 60 * MINUTE],
  ['month', 30 * 24 * 60 * MINUTE],
  ['week', 7 * 24 * 60 * MINUTE],
  ['day', 24 * 60 * MINUTE],
  ['hour', 60 * MINUTE],
  ['minute', MINUTE],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "just now", "5 minutes ago", "yesterday", ... Times a little in the future (clock skew) read as "just now". */
export const timeAgo = (iso: string, now: number): string => {
  const elapsed = now - Date.parse(iso);
  if (!(elapsed >= MINUTE)) return 'just now';
  const [unit, size] = UNITS.find(([, ms]) => elapsed >= ms) ?? UNITS[UNITS.length - 1];
  return relative.format(-Math.floor(elapsed / size), unit);
};

/**
 * The status word and, for an offline user, the last-seen phrase: "Offline, last seen 5 minutes ago".
 * `stale`: the connection is lost, so what is known may no longer be true: "Unknown (was online)".
 */
export const describePresence = (
  presence: Pick<PresenceJson, 'status' | 'lastSeen'> | undefined,
  now: number,
  stale = false,
): { status: string; lastSeen: string | null } => {
  if (presence === undefined) return { status: 'Checking…', lastSeen: null };
  if (stale) return { status: `Unknown (was ${presence.status})`, lastSeen: null };
  if (presence.status === 'online') return { status: 'Online', lastSeen: null };
  return { status: 'Offline', lastSeen: presence.lastSeen === null ? 'never seen' : `last seen ${timeAgo(presence.lastSeen, now)}` };
};
