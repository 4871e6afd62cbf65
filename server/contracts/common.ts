// Schemas shared by the server (to validate requests and responses) and the client (its types).
import { z } from 'zod';

function isCalendarDate(text: string): boolean {
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine(isCalendarDate, 'is not a calendar date');

export const ShopId = z.string().min(1, 'is empty').max(128, 'is longer than 128 characters');

export const LevelSchema = z.enum(['none', 'warning', 'restricted', 'severe']);
export type LevelName = z.infer<typeof LevelSchema>;

export const ErrorBody = z.object({ error: z.string(), message: z.string(), requestId: z.string().optional() });
export type ErrorBody = z.infer<typeof ErrorBody>;
