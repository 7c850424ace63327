/**
 * The WebSocket API as data: the frames each way, what answers what, and the documented examples.
 * docs/asyncapi.json is generated from this (the service's point of view: it receives client
 * frames and sends replies and events); the conformance test sends `wsExamples` to a local stack.
 */
import type * as v from 'valibot';
import { examples } from './examples';
import {
  ErrorFrameSchema,
  HeartbeatAckFrameSchema,
  HeartbeatFrameSchema,
  PresenceChangeSchema,
  PresenceEventSchema,
  PresenceSchema,
  SetStatusFrameSchema,
  StatusFrameSchema,
  SubscribedFrameSchema,
  SubscribeFrameSchema,
  UnsubscribedFrameSchema,
  UnsubscribeFrameSchema,
} from './schemas';

export const wsComponents = {
  Presence: PresenceSchema,
  PresenceChange: PresenceChangeSchema,
  SubscribeFrame: SubscribeFrameSchema,
  UnsubscribeFrame: UnsubscribeFrameSchema,
  SetStatusFrame: SetStatusFrameSchema,
  HeartbeatFrame: HeartbeatFrameSchema,
  SubscribedFrame: SubscribedFrameSchema,
  UnsubscribedFrame: UnsubscribedFrameSchema,
  StatusFrame: StatusFrameSchema,
  HeartbeatAckFrame: HeartbeatAckFrameSchema,
  PresenceEvent: PresenceEventSchema,
  ErrorFrame: ErrorFrameSchema,
} as const satisfies Record<string, v.GenericSchema>;

export type WsComponentName = keyof typeof wsComponents;

export interface WsMessage {
  readonly schema: WsComponentName;
  readonly title: string;
  readonly summary: string;
}

/** Every frame, by message name. */
export const wsMessages = {
  subscribe: {
    schema: 'SubscribeFrame',
    title: 'subscribe',
    summary: 'Watch 1-100 users: their current status now, their changes from then on (at most 1,000 known users per connection).',
  },
  unsubscribe: { schema: 'UnsubscribeFrame', title: 'unsubscribe', summary: 'Stop watching users: no event about them after the reply.' },
  setStatus: { schema: 'SetStatusFrame', title: 'setStatus', summary: 'Set the manual status, as PUT /me/status.' },
  heartbeat: {
    schema: 'HeartbeatFrame',
    title: 'heartbeat',
    summary: "Renew the connection's lease when there is nothing else to say (every frame renews it).",
  },
  subscribed: { schema: 'SubscribedFrame', title: 'subscribed', summary: 'The current status of each known id; unknown ids listed apart.' },
  unsubscribed: { schema: 'UnsubscribedFrame', title: 'unsubscribed', summary: 'The ids no longer watched.' },
  status: { schema: 'StatusFrame', title: 'status', summary: 'The manual setting now.' },
  heartbeatAck: { schema: 'HeartbeatAckFrame', title: 'heartbeat', summary: "When the connection's lease ends." },
  presence: {
    schema: 'PresenceEvent',
    title: 'presence',
    summary:
      'Changes of watched users, possibly several (coalesced). changedAt strictly increases per user: keep the newest per user; duplicates are allowed, silence is not. Delivered within 10 s at worst (target under 1 s).',
  },
  error: {
    schema: 'ErrorFrame',
    title: 'error',
    summary:
      'A frame the service cannot take (bad JSON, unknown action, wrong field types, a message over 32 KiB, too many subscriptions). The connection stays open; requestId is echoed when the frame could be parsed and carried one.',
  },
} as const satisfies Record<string, WsMessage>;

export type WsMessageName = keyof typeof wsMessages;

/** What the service receives, and what it answers each with. */
export const wsRequests: readonly { readonly message: WsMessageName; readonly replies: readonly WsMessageName[] }[] = [
  { message: 'subscribe', replies: ['subscribed', 'error'] },
  { message: 'unsubscribe', replies: ['unsubscribed', 'error'] },
  { message: 'setStatus', replies: ['status', 'error'] },
  { message: 'heartbeat', replies: ['heartbeatAck', 'error'] },
];

export interface WsExample {
  readonly name: string;
  readonly summary: string;
  /** The frame sent (a string is sent as it is). */
  readonly send: unknown;
  readonly sendMessage: WsMessageName | null;
  readonly reply: unknown;
  readonly replyMessage: WsMessageName;
  /** A change of a user this connection watches (user "1", itself, from the subscribe example): a presence event follows. */
  readonly event?: true;
}

/** In the order the conformance test sends them on one connection of user "1". */
export const wsExamples: readonly WsExample[] = [
  {
    name: 'subscribe',
    summary: 'One known id, one unknown',
    send: examples.SubscribeFrame,
    sendMessage: 'subscribe',
    reply: examples.SubscribedFrame,
    replyMessage: 'subscribed',
  },
  {
    name: 'heartbeat',
    summary: 'Nothing else to say',
    send: { action: 'heartbeat', requestId: 'r3' },
    sendMessage: 'heartbeat',
    reply: { type: 'heartbeat', requestId: 'r3', leaseExpiresAt: '2026-11-28T10:02:30.000Z' },
    replyMessage: 'heartbeatAck',
  },
  {
    name: 'backOnline',
    summary: 'Back online after appearing offline: watchers get a presence event',
    send: { action: 'setStatus', status: 'online', requestId: 'r4' },
    sendMessage: 'setStatus',
    reply: { type: 'status', requestId: 'r4', status: 'online' },
    replyMessage: 'status',
    event: true,
  },
  {
    name: 'unsubscribe',
    summary: 'Stop watching',
    send: { action: 'unsubscribe', userIds: ['1'], requestId: 'r5' },
    sendMessage: 'unsubscribe',
    reply: { type: 'unsubscribed', requestId: 'r5', userIds: ['1'] },
    replyMessage: 'unsubscribed',
  },
  {
    name: 'noIds',
    summary: 'An empty id list',
    send: { action: 'subscribe', userIds: [], requestId: 'r2' },
    sendMessage: 'subscribe',
    reply: examples.ErrorFrame,
    replyMessage: 'error',
  },
  {
    name: 'unknownAction',
    summary: 'An action the service does not know',
    send: { action: 'dance', requestId: 'r6' },
    sendMessage: null,
    reply: { type: 'error', requestId: 'r6', code: 'invalid_request', message: 'Unknown action "dance"' },
    replyMessage: 'error',
  },
];
