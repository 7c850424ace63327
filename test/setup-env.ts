// Handlers log JSON lines; tests read behaviour, not logs. LOG_LEVEL=info npm test shows them.
process.env.LOG_LEVEL ??= 'silent';
// Handlers write their metrics as EMF lines on stdout; tests that read them turn them back on.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
