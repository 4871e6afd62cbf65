import { Router } from 'express';
import { ShopMetricsQuery, ShopParams } from '../../contracts/metrics.js';
import { shopExists, shopMetrics } from '../../metrics/queries.js';
import { requireRange, statDate, type AppContext } from '../context.js';
import { notFound, parse, requireShop } from '../http.js';

export function shopRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/shops/:shopId/metrics', async (req, res) => {
    const { shopId } = parse(ShopParams, req.params, 'path');
    requireShop(req, shopId); // before any lookup: a seller learns nothing about other shops, not even that they exist
    const query = parse(ShopMetricsQuery, req.query, 'query');
    const metrics = await ctx.db.read(async (conn) => {
      if (!(await shopExists(conn, shopId))) throw notFound(`shop ${shopId} is not known`);
      const range = await requireRange(conn);
      return shopMetrics(conn, range, shopId, statDate(range, query.date));
    });
    if (!metrics) throw notFound(`no metrics for shop ${shopId} on that date`);
    res.json(metrics);
  });
  return router;
}
