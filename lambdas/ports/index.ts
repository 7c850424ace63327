/**
 * Ports: what the domain needs from the outside world. Adapters (lambdas/adapters) implement them
 * with AWS SDK clients; tests may implement them in memory. One file per port; this index is
 * their public face: domain, adapters and tests import ports from here.
 */

export type * from './attempt-counter';
export type * from './clock';
export type * from './connection-gateway';
export type * from './connection-registry';
export type * from './delivery-retry-queue';
export type * from './fan-out-queue';
export type * from './grace-timer';
export type * from './last-seen-store';
export type * from './password-hasher';
export type * from './presence-store';
export type * from './sweep-index';
export type * from './sweep-queue';
export type * from './token-service';
export type * from './user-directory';
