/**
 * How domain values look on the wire: the contract's User, Presence and presence-change objects
 * (contract/schemas.ts). No schema library here, as in contract/protocol.ts.
 */

import type { PresenceChangeJson, PresenceJson, UserJson } from '../../contract/protocol';
import { iso } from '../../contract/protocol';
import type { User } from '../ports';
import type { PresenceChange, PresenceView } from './presence';

export const userJson = (user: User): UserJson => ({ id: user.id, name: user.name, createdAt: iso(user.createdAt) });

/** A reader's view as the contract's Presence object. */
export const presenceJson = (view: PresenceView): PresenceJson => ({
  userId: view.userId,
  status: view.status,
  lastSeen: view.lastSeen === null ? null : iso(view.lastSeen),
});

/** A decided change as it is pushed in `presence` events. */
export const changeJson = (change: PresenceChange): PresenceChangeJson => ({ ...presenceJson(change), changedAt: iso(change.changedAt) });
