// npm run token -- --role seller --shop SHOP_ID [--shop …] | --role reviewer | --role admin  [--expires 30d]
// Prints a bearer token signed with the server's secret (AUTH_SECRET, or the one kept in the data folder).
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { ROLES, resolveSecret, signToken, type Role } from '../auth/tokens.js';

const USAGE = 'usage: npm run token -- --role seller --shop SHOP_ID [--shop SHOP_ID…] | --role reviewer | --role admin [--expires 30d]';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { role: { type: 'string' }, shop: { type: 'string', multiple: true }, expires: { type: 'string' } } }));
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
  if (values.expires && !/^\d+[smhdw]$/.test(values.expires)) {
    console.error('token: --expires takes a number and a unit, e.g. 12h or 30d');
    return 2;
  }
  const config = loadConfig();
  const token = await signToken(resolveSecret(config.authSecret, config.dataDir), { role, shops: values.shop }, values.expires ?? '30d');
  console.log(token);
  return 0;
}

process.exitCode = await main();
