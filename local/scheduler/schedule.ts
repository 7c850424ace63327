/**
 * EventBridge Scheduler stand-in: invokes a function every `everySeconds` with a scheduled event.
 */
import { randomUUID } from 'node:crypto';
import { isError } from '../../lambdas/domain/errors';
import { type FunctionConfig, invoke } from '../lambda/invoke';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../shared/aws';

export interface Schedule {
  stop(): Promise<void>;
}

export const scheduledEvent = (ruleName: string, at: Date) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: LOCAL_ACCOUNT_ID,
  time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  region: LOCAL_REGION,
  resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`],
  detail: {},
});

export const startSchedule = (options: {
  readonly fn: FunctionConfig;
  readonly everySeconds: number;
  readonly log?: (line: string) => void;
}): Schedule => {
  let running: Promise<void> | null = null;
  const tick = () => {
    // AWS: a scheduled invocation is asynchronous and may overlap a slow previous one; locally a tick is skipped instead.
    if (running !== null) return;
    running = invoke(options.fn, scheduledEvent(options.fn.name, new Date()))
      .then(() => undefined)
      .catch((error: unknown) => options.log?.(`${options.fn.name} failed: ${isError(error) ? error.message : String(error)}`))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, Math.max(0.1, options.everySeconds) * 1000);
  timer.unref();
  // A (re)start resumes the duty at once rather than one interval later (the contract: "a restart
  // after any length of stop resumes every duty at once"); on AWS the rule keeps firing every minute.
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
};
