import { Router } from 'express';
import type { AppContext } from '../context.js';
import { dataRange } from '../../metrics/queries.js';

export function healthRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const range = await ctx.db.read(dataRange);
    res.json({ status: 'ok', dataThrough: range?.last ?? null });
  });
  return router;
}
