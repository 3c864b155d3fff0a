/**
 * A device's push period until a server sets another (SPEC §6): the agent's default for cron and
 * the encoders' polling interval, and the period the receiver gives a device it has not heard of.
 */
export const DEFAULT_PERIOD_S = 600;
