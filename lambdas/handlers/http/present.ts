/** How users look on the wire (the contract's User object). */
import { iso } from '../../domain/protocol';
import type { UserJson } from '../../domain/protocol';
import type { User } from '../../ports';

export const userJson = (user: User): UserJson => ({ id: user.id, name: user.name, createdAt: iso(user.createdAt) });
