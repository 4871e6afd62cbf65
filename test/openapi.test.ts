// The OpenAPI document validates against the OpenAPI 3.1 schema (an independent validator).
import request from 'supertest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { openTempDb } from './helpers.js';

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const { db } = await openTempDb({ memory: true });
    const app = createApp({ db, secret: new TextEncoder().encode('openapi-test-secret-0123456789abcdef') });
    const res = await request(app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    const validator = new Validator();
    const result = await validator.validate(res.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    await db.close();
  });
});
