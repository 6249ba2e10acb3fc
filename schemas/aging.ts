import { z } from 'zod';

/** akosha.aging v1: an age-threshold event on akosha.aging.<tier>, from the scheduler or Mahavishnu. */
export const AgingEvent = z.object({
  schema_version: z.literal(1),
  tier: z.enum(['hot', 'warm']),
  requested_at: z.iso.datetime(),
  window: z.number().int().nonnegative().optional(),
});
export type AgingEvent = z.infer<typeof AgingEvent>;
