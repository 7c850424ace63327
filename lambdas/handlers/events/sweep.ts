/** The sweeper, on a schedule (EventBridge every minute on AWS; PRESENCE_SWEEP_SECONDS locally). */
import { sweeper } from '../../shared/dependencies';
import { logger } from '../../shared/logger';

export const handler = async (): Promise<void> => {
  const report = await sweeper().sweep();
  if (report.usersChecked > 0) logger.info('sweep', { ...report });
};
