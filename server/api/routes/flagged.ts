import { Router } from 'express';
import { FlaggedQuery } from '../../contracts/metrics.js';
import { flaggedShops } from '../../metrics/queries.js';
import { requireRange, statDate, type AppContext } from '../context.js';
import { parse, requireRole } from '../http.js';
import { flaggedCsv } from '../csv.js';

export function flaggedRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/flagged', async (req, res) => {
    requireRole(req, 'reviewer');
    const query = parse(FlaggedQuery, req.query, 'query');
    const list = await ctx.db.read(async (conn) => {
      const range = await requireRange(conn);
      return flaggedShops(conn, range, { ...query, date: statDate(range, query.date) });
    });
    if (query.format === 'csv') {
      res.type('text/csv; charset=utf-8').attachment(`flagged-${list.items[0]?.date ?? 'none'}.csv`).send(flaggedCsv(list.items));
      return;
    }
    res.json(list);
  });
  return router;
}
