/** How domain values look on the wire (the contract's objects). */
import type { PresenceView } from '../../domain/presence';
import type { PresenceJson, UserJson } from '../../domain/protocol';
import type { User } from '../../ports';

export const iso = (ms: number): string => new Date(ms).toISOString();

export const userJson = (user: User): UserJson => ({ id: user.id, name: user.name, createdAt: iso(user.createdAt) });

export const presenceJson = (view: PresenceView): PresenceJson => ({
  userId: view.userId,
  status: view.status,
  lastSeen: view.lastSeen === null ? null : iso(view.lastSeen),
});
