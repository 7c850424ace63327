/**
 * Polls `condition` (sync or async) every `everyMs` until it holds; throws, naming `what`, once
 * `timeoutMs` has passed.
 */
export const eventually = async (
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, everyMs = 25, what = 'condition' }: { timeoutMs?: number; everyMs?: number; what?: string } = {},
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
};
