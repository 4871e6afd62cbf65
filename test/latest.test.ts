// The in-memory read model of the latest day answers exactly what the database answers, and never
// answers from data older than the last commit.
import { describe, expect, it } from 'vitest';
import { generateDemo } from '../server/generate/demo.js';
import { LatestDay } from '../server/read/latest.js';
import { shopMetricsOn } from '../server/read/queries.js';
import { peerRows, peersOf, shopPeers } from '../server/read/shop-queries.js';
import { queryRows } from '../server/db/database.js';
import { HEADERS, ingest, openTempDb, tempDir, writeCsv } from './helpers.js';

describe('LatestDay', () => {
  it('equals the per-shop query for every shop, and steps aside after a commit until rebuilt', async () => {
    const out = tempDir('iw-latest-');
    await generateDemo({ shops: 150, days: 60, seed: 5, end: '2026-11-20', out });
    const { db } = await openTempDb({ memory: true });
    await ingest(db, [out]);
    const latest = new LatestDay(db);
    await latest.rebuild();
    const shops = await db.read((conn) => queryRows<{ shop_id: string }>(conn, 'SELECT shop_id FROM shops ORDER BY shop_id'));
    let restricted = 0;
    let judgedPeers = 0;
    for (const { shop_id } of shops) {
      const want = await db.read((conn) => shopMetricsOn(conn, shop_id, null));
      expect(latest.lookup(shop_id, undefined), shop_id).toEqual(want);
      expect(latest.lookup(shop_id, '2026-11-20'), shop_id).toEqual(want);
      if (want!.restrictions.length) restricted++;
      // The peers' rows from memory are the database's (in any order), and so is the comparison made of them.
      const byShop = (a: { shop_id: string }, b: { shop_id: string }) => (a.shop_id < b.shop_id ? -1 : 1);
      const rowsFromDb = await db.read((conn) => peerRows(conn, shop_id, '2026-11-20'));
      expect([...latest.peerRows(shop_id, undefined)!].sort(byShop), shop_id).toEqual([...rowsFromDb].sort(byShop));
      const peersFromDb = await db.read((conn) => shopPeers(conn, shop_id, '2026-11-20'));
      expect(peersOf(shop_id, '2026-11-20', latest.peerRows(shop_id, '2026-11-20')!), shop_id).toEqual(peersFromDb);
      judgedPeers += peersFromDb?.judgedShops ?? 0;
    }
    expect(restricted).toBeGreaterThan(0);
    expect(judgedPeers).toBeGreaterThan(0);
    expect(latest.peerRows(shops[0].shop_id, '2026-11-19')).toBeUndefined();
    // Another day is not held.
    expect(latest.lookup(shops[0].shop_id, '2026-11-19')).toBeUndefined();
    // After a commit the model answers nothing until it is rebuilt (checked the moment the commit lands),
    // then the new numbers.
    const d = tempDir();
    const row = (
      await db.read((conn) => queryRows<{ shop_id: string }>(conn, "SELECT shop_id FROM shop_day WHERE day = '2026-11-20' AND orders > 0 LIMIT 1"))
    )[0];
    const before = latest.lookup(row.shop_id, undefined)!;
    let atCommit: unknown = 'not called';
    db.onCommit(() => (atCommit = latest.lookup(row.shop_id, undefined)));
    await ingest(db, [writeCsv(d, 'orders.csv', HEADERS.orders, [['NEW-1', row.shop_id, '2026-11-20T10:00:00+08:00', '1']])]);
    expect(atCommit).toBeUndefined();
    await latest.rebuild();
    expect(latest.lookup(row.shop_id, undefined)!.orders).toBe(before.orders + 1);
    await db.close();
  });
});
