// npm run token -- --role seller --shop SHOP_ID [--shop …] [--subject PERSON] | --role reviewer --subject PERSON |
//                  --role admin --subject PERSON   [--name "DISPLAY NAME"] [--expires 30d]
// Prints a bearer token signed with the server's secret (AUTH_SECRET, or the one kept in the data folder).
// The subject is the person who acts: decisions, appeals and the audit log show it. Reviewers and admins
// must name one; a seller's defaults to seller:SHOP_ID[,SHOP_ID…].
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { ROLES, defaultSubject, resolveSecret, signToken, type Role } from '../auth/tokens.js';

const USAGE = [
  'usage: npm run token -- --role seller --shop SHOP_ID [--shop SHOP_ID…] [--subject PERSON] [--name NAME] [--expires 30d]',
  '       npm run token -- --role reviewer --subject PERSON [--name NAME] [--expires 30d]',
  '       npm run token -- --role admin --subject PERSON [--name NAME] [--expires 30d]',
  '  --subject  who acts, e.g. alice@example.com (shown in decisions, appeals and the audit log);',
  "             required for reviewer and admin; a seller's defaults to seller:SHOP_ID",
  '  --name     an optional display name, e.g. "Alice Li"',
].join('\n');

const MAX_TEXT = 200;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: 'string' },
        shop: { type: 'string', multiple: true },
        subject: { type: 'string' },
        name: { type: 'string' },
        expires: { type: 'string' },
      },
    }));
  } catch (error) {
    console.error(`token: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role)) {
    console.error(`token: --role must be one of ${ROLES.join(', ')}\n${USAGE}`);
    return 2;
  }
  if (role === 'seller' && !values.shop?.length) {
    console.error(`token: --role seller needs --shop SHOP_ID\n${USAGE}`);
    return 2;
  }
  const subject = values.subject?.trim();
  if (values.subject !== undefined && !subject) {
    console.error(`token: --subject must not be empty: give the person who acts, e.g. --subject alice@example.com\n${USAGE}`);
    return 2;
  }
  if (!subject && role !== 'seller') {
    console.error(
      `token: --role ${role} needs --subject PERSON (who acts, e.g. --subject alice@example.com): decisions, appeals and the audit log show it\n${USAGE}`,
    );
    return 2;
  }
  if (subject && subject.length > MAX_TEXT) {
    console.error(`token: --subject is ${subject.length} characters long; at most ${MAX_TEXT} are allowed`);
    return 2;
  }
  const name = values.name?.trim();
  if (values.name !== undefined && (!name || name.length > MAX_TEXT)) {
    console.error(`token: --name must be 1 to ${MAX_TEXT} characters (a display name such as "Alice Li")`);
    return 2;
  }
  if (values.expires && !/^\d+[smhdw]$/.test(values.expires)) {
    console.error('token: --expires takes a number and a unit, e.g. 12h or 30d');
    return 2;
  }
  const config = loadConfig();
  let secret: Uint8Array;
  try {
    secret = resolveSecret(config.authSecret, config.dataDir);
  } catch (error) {
    console.error(`token: ${(error as Error).message}`);
    return 1;
  }
  const token = await signToken(
    secret,
    { role, shops: values.shop, subject: subject ?? defaultSubject(role, values.shop), ...(name ? { name } : {}) },
    values.expires ?? '30d',
  );
  console.log(token);
  return 0;
}

process.exitCode = await main();
