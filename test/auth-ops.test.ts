// Operating the sign-in safely: no token reaches the request log, `npm start` prints no admin link unless
// asked, every token names the person who acts (and decisions and the audit log show that person), and a
// short AUTH_SECRET is refused at start.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { redactHeaders, redactUrl } from '../server/api/http.js';
import { resolveSecret, signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { signInLines, startupBanner, wantsAdminLink } from '../server/main.js';
import { tempDir } from './helpers.js';
import { SECRET, buildSmallWorld } from './fixtures/small-world.js';

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..');

let db: Database;
beforeAll(async () => {
  db = (await buildSmallWorld()).db;
});
afterAll(async () => db?.close());

/** Runs a command; resolves with its exit code and output whether it succeeds or not. */
async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(args[0], args.slice(1), { cwd: ROOT, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

const lastWord = (stdout: string) => stdout.trim().split(/\s+/).at(-1)!;

describe('the request log', () => {
  it('redactUrl: the values of token, access_token and other secret parameters, and any JWT, become [redacted]', () => {
    expect(redactUrl('/?token=abc')).toBe('/?token=[redacted]');
    expect(redactUrl('/api/me?lang=en&token=abc&date=2026-10-08')).toBe('/api/me?lang=en&token=[redacted]&date=2026-10-08');
    expect(redactUrl('/api/health?access_token=abc')).toBe('/api/health?access_token=[redacted]');
    expect(redactUrl('/x?%74oken=abc')).toBe('/x?%74oken=[redacted]'); // a percent-encoded name
    expect(redactUrl('/x?TOKEN=a&Access_Token=b&password=c&api_key=d')).toBe(
      '/x?TOKEN=[redacted]&Access_Token=[redacted]&password=[redacted]&api_key=[redacted]',
    );
    expect(redactUrl('/x?token')).toBe('/x?token=[redacted]');
    expect(redactUrl('/#token=abc')).toBe('/#token=[redacted]');
    expect(redactUrl('/api/shops/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln/metrics')).toBe('/api/shops/[redacted]/metrics');
    // Nothing secret: unchanged.
    expect(redactUrl('/api/flagged?date=2026-10-08&level=severe&sort=ratio')).toBe('/api/flagged?date=2026-10-08&level=severe&sort=ratio');
    expect(redactUrl('/assets/index-3f9a.js')).toBe('/assets/index-3f9a.js');
  });

  it('redactHeaders: Authorization and Cookie become [redacted]; URLs in other headers are redacted; the rest stays', () => {
    expect(
      redactHeaders({
        authorization: 'Bearer abc',
        cookie: 'token=abc',
        'proxy-authorization': 'Basic abc',
        'x-csrf-token': 'abc',
        referer: 'http://localhost:3000/?token=abc',
        'user-agent': 'curl/8.5.0',
        accept: ['text/html', 'application/json'],
      }),
    ).toEqual({
      authorization: '[redacted]',
      cookie: '[redacted]',
      'proxy-authorization': '[redacted]',
      'x-csrf-token': '[redacted]',
      referer: 'http://localhost:3000/?token=[redacted]',
      'user-agent': 'curl/8.5.0',
      accept: ['text/html', 'application/json'],
    });
  });

  it('a sign-in link, a bearer token and a cookie through the app: the token appears nowhere in the log, [redacted] does', async () => {
    let output = '';
    const logger = pino({ level: 'info' }, { write: (line: string) => void (output += line) });
    const app = createApp({ db, secret: SECRET, logger, authFailuresPerMinute: 1e6 });
    const token = await signToken(SECRET, { role: 'reviewer', subject: 'alice@example.com' }, '7d');
    const secretWord = 'SECRET-c0ffee-d00d';
    // An API call carrying the token three ways (header, cookie, and a referer from the sign-in page), the
    // token in a query, the dashboard's sign-in link, and a plain secret word in a query and a header.
    const me = await request(app)
      .get('/api/me')
      .set('Authorization', `Bearer ${token}`)
      .set('Cookie', `token=${token}`)
      .set('Referer', `http://localhost:3000/?token=${token}`);
    expect(me.status).toBe(200);
    expect(me.body.subject).toBe('alice@example.com');
    await request(app).get(`/api/me?token=${token}&lang=en`);
    await request(app).get(`/?token=${token}`);
    await request(app).get(`/api/health?access_token=${secretWord}`);
    await request(app).get(`/api/me?token=${secretWord}`).set('Authorization', `Bearer ${secretWord}`);
    // pino-http writes when a response finishes: wait for the five lines.
    for (let i = 0; i < 100 && output.trim().split('\n').length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    const lines = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { req: { url: string; headers: Record<string, string> }; res: { statusCode: number } });
    expect(lines.map((l) => [l.req.url, l.res.statusCode])).toEqual([
      ['/api/me', 200],
      ['/api/me?token=[redacted]&lang=en', 401], // no Authorization header: the query is never read as a token
      ['/?token=[redacted]', 404], // no dashboard in this app
      ['/api/health?access_token=[redacted]', 400], // unknown query parameter
      ['/api/me?token=[redacted]', 401],
    ]);
    expect(lines[0].req.headers).toMatchObject({ authorization: '[redacted]', cookie: '[redacted]', referer: 'http://localhost:3000/?token=[redacted]' });
    expect(lines[4].req.headers.authorization).toBe('[redacted]');
    expect(output).not.toContain(token);
    expect(output).not.toContain(token.split('.')[2]); // not even the signature
    expect(output).not.toContain(secretWord);
  });
});

describe('npm start prints an admin sign-in link only when asked', () => {
  const base = 'http://localhost:3000';
  const claims = (line: string) => decodeJwt(/\?token=([\w.-]+)/.exec(line)![1]);

  it('by default: a seller link and a reviewer link, with named people, and no admin token', async () => {
    const lines = await signInLines(db, SECRET, base, { admin: false });
    expect(lines).toHaveLength(3);
    // The small world's most severe shop on its last day (2026-10-08): A and C are both restricted at the
    // same ratio, and A comes first.
    expect(lines[0]).toMatch(/^ {2}seller of A \(restricted\): http:\/\/localhost:3000\/\?token=[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(claims(lines[0])).toMatchObject({ role: 'seller', shops: ['A'], sub: 'demo-seller@example.com' });
    expect(lines[1]).toMatch(/^ {2}reviewer \(demo-reviewer@example\.com\): http:\/\/localhost:3000\/\?token=[\w.-]+$/);
    expect(claims(lines[1])).toMatchObject({ role: 'reviewer', sub: 'demo-reviewer@example.com' });
    expect(lines[2]).toBe('  admin: not printed (PRINT_ADMIN_LINK=1 npm start, or npm run token -- --role admin --subject YOU)');
    const banner = startupBanner(base, '/tmp/x.duckdb', lines);
    expect(banner).toContain('is serving http://localhost:3000 on /tmp/x.duckdb\nSign in:\n  seller of A (restricted): ');
    const roles = [...banner.matchAll(/\?token=([\w.-]+)/g)].map((m) => decodeJwt(m[1]).role);
    expect(roles).toEqual(['seller', 'reviewer']);
  });

  it('with PRINT_ADMIN_LINK=1 or --admin-link: an admin link too, for demo-admin@example.com', async () => {
    expect(wantsAdminLink({}, [])).toBe(false);
    expect(wantsAdminLink({ PRINT_ADMIN_LINK: '0' }, [])).toBe(false);
    expect(wantsAdminLink({ PRINT_ADMIN_LINK: '' }, ['--port', '3000'])).toBe(false);
    expect(wantsAdminLink({ PRINT_ADMIN_LINK: '1' }, [])).toBe(true);
    expect(wantsAdminLink({ PRINT_ADMIN_LINK: 'true' }, [])).toBe(true);
    expect(wantsAdminLink({}, ['--admin-link'])).toBe(true);
    const lines = await signInLines(db, SECRET, base, { admin: true });
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^ {2}admin \(demo-admin@example\.com\): http:\/\/localhost:3000\/\?token=[\w.-]+$/);
    expect(claims(lines[2])).toMatchObject({ role: 'admin', sub: 'demo-admin@example.com' });
  });
});

describe('tokens name a person', () => {
  const AUTH_SECRET = 'auth-ops-test-secret-0123456789abcdef';
  const env = { ...process.env, AUTH_SECRET, DATA_DIR: tempDir('iw-auth-ops-') };
  const token = (...args: string[]) => runCli(['npm', 'run', '--silent', 'token', '--', ...args], env);

  it('npm run token --role reviewer --subject alice@example.com --name "Alice Li": an exemption made with it shows alice as actor in decisions and the audit log', async () => {
    const made = await token('--role', 'reviewer', '--subject', 'alice@example.com', '--name', 'Alice Li');
    expect(made.code, made.stderr).toBe(0);
    const alice = lastWord(made.stdout);
    expect(decodeJwt(alice)).toMatchObject({ sub: 'alice@example.com', name: 'Alice Li', role: 'reviewer', shops: [] });
    const app = createApp({ db, secret: new TextEncoder().encode(AUTH_SECRET), authFailuresPerMinute: 1e6 });
    const auth = { Authorization: `Bearer ${alice}` };
    expect((await request(app).get('/api/me').set(auth)).body).toEqual({ subject: 'alice@example.com', name: 'Alice Li', role: 'reviewer', shops: [] });
    // A is restricted since 2026-10-06 (the small world); the data's last day is 2026-10-08.
    const decided = await request(app)
      .post('/api/shops/A/decisions')
      .set(auth)
      .send({ action: 'exempt', reason: 'flood in the warehouse region', until: '2026-10-30' });
    expect(decided.status, decided.text).toBe(201);
    expect(decided.body).toMatchObject({ shopId: 'A', action: 'exempt', actor: 'alice@example.com', episodeStart: '2026-10-06' });
    const history = await request(app).get('/api/shops/A/history').set(auth);
    expect(history.status).toBe(200);
    expect(history.body.decisions.map((d: { action: string; actor: string }) => [d.action, d.actor])).toEqual([['exempt', 'alice@example.com']]);
    const audit = await request(app).get('/api/audit?shopId=A').set(auth);
    expect(audit.status).toBe(200);
    expect(audit.body.items.map((e: { action: string; actor: string; role: string }) => [e.action, e.actor, e.role])).toEqual([
      ['decision.exempt', 'alice@example.com', 'reviewer'],
    ]);
  }, 60_000);

  it('--subject is required for reviewer and admin (exit 2, naming the parameter); a seller defaults to seller:SHOP', async () => {
    const [reviewer, admin, empty, badName, seller, sellerNamed] = await Promise.all([
      token('--role', 'reviewer'),
      token('--role', 'admin'),
      token('--role', 'admin', '--subject', '  '),
      token('--role', 'admin', '--subject', 'root@example.com', '--name', ''),
      token('--role', 'seller', '--shop', 'A', '--shop', 'C'),
      token('--role', 'seller', '--shop', 'A', '--subject', 'wang@a-shop.example'),
    ]);
    expect(reviewer.code).toBe(2);
    expect(reviewer.stderr).toContain('token: --role reviewer needs --subject PERSON (who acts, e.g. --subject alice@example.com)');
    expect(reviewer.stdout).toBe('');
    expect(admin.code).toBe(2);
    expect(admin.stderr).toContain('token: --role admin needs --subject PERSON');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('token: --subject must not be empty');
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('token: --name must be 1 to 200 characters');
    expect(seller.code, seller.stderr).toBe(0);
    expect(decodeJwt(lastWord(seller.stdout))).toMatchObject({ sub: 'seller:A,C', role: 'seller', shops: ['A', 'C'] });
    expect(sellerNamed.code, sellerNamed.stderr).toBe(0);
    expect(decodeJwt(lastWord(sellerNamed.stdout))).toMatchObject({ sub: 'wang@a-shop.example', role: 'seller', shops: ['A'] });
  }, 60_000);
});

describe('AUTH_SECRET shorter than 32 bytes is refused', () => {
  it('resolveSecret counts bytes (UTF-8), not characters, and names the setting', () => {
    const dir = tempDir('iw-secret-');
    expect(() => resolveSecret('x'.repeat(31), dir)).toThrow('AUTH_SECRET is 31 bytes long; it must be at least 32 bytes');
    expect(resolveSecret('x'.repeat(32), dir)).toHaveLength(32);
    // 密 is 3 bytes in UTF-8: 10 of them are 30 bytes (refused), 11 are 33 (accepted).
    expect(() => resolveSecret('密'.repeat(10), dir)).toThrow('AUTH_SECRET is 30 bytes long');
    expect(resolveSecret('密'.repeat(11), dir)).toHaveLength(33);
    // A kept secret file that someone shortened is refused too, naming the file.
    fs.writeFileSync(path.join(dir, '.auth-secret'), 'short\n');
    expect(() => resolveSecret(undefined, dir)).toThrow(
      `the secret in ${path.join(dir, '.auth-secret')} (used because AUTH_SECRET is not set) is 5 bytes long`,
    );
  });

  it('npm start and npm run token stop with the message and a non-zero exit', async () => {
    const dir = tempDir('iw-short-secret-');
    const env = { ...process.env, AUTH_SECRET: 'too-short', DATA_DIR: dir, DB_PATH: path.join(dir, 'x.duckdb'), PORT: '0', DEMO: 'off', LOG_LEVEL: 'warn' };
    const [start, cli] = await Promise.all([
      runCli([process.execPath, '--import', 'tsx', 'server/main.ts'], env),
      runCli(['npm', 'run', '--silent', 'token', '--', '--role', 'reviewer', '--subject', 'alice@example.com'], env),
    ]);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('Intervention Watch cannot start: AUTH_SECRET is 9 bytes long; it must be at least 32 bytes');
    expect(start.stdout).not.toContain('serving');
    expect(fs.existsSync(path.join(dir, 'x.duckdb'))).toBe(false); // refused before the database was opened
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('token: AUTH_SECRET is 9 bytes long; it must be at least 32 bytes');
    expect(cli.stdout).toBe('');
  }, 60_000);
});
