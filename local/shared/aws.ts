/** What the local stand-ins show where AWS shows an account, a region or a request time. */

/** Every local resource lives in this region (AWS_REGION is set to it for the handlers). */
export const LOCAL_REGION = 'us-east-1';
/** Every local ARN and queue URL names this account. */
export const LOCAL_ACCOUNT_ID = '000000000000';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// AWS: API Gateway's requestContext time is in Common Log Format, `12/Mar/2020:19:03:58 +0000`.
export const clfTime = (date: Date): string => {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
};
