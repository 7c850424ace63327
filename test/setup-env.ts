// Handlers log JSON lines; tests read behaviour, not logs. LOG_LEVEL=info npm test shows them.
process.env.LOG_LEVEL ??= 'silent';
