// Every test runs in UTC so dates and cron expressions repeat across machines.
process.env.TZ = 'UTC';
