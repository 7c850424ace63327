import middy from '@middy/core';
import { type HttpEvent, type HttpResult, httpErrors, json } from '../../middleware/http';
import { observability } from '../../middleware/observability';

const lambdaHandler = async (): Promise<HttpResult> => json(200, { status: 'ok' });

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler).use(observability()).use(httpErrors());
