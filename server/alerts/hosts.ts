// Where a webhook may point. Hosts on private, loopback, link-local and other non-public addresses are
// refused unless the operator lists them in WEBHOOK_ALLOW_HOSTS (comma-separated host names or
// addresses): checked when a subscription is made (the URL's literal address or name, and the addresses
// its name resolves to) and again at every delivery, on the very addresses the request connects to
// (the resolver of the request itself refuses them, so a name cannot resolve to a public address for
// the check and to a private one for the connection).
import dns from 'node:dns';
import net from 'node:net';

/** WEBHOOK_ALLOW_HOSTS as a list of lower-case host names and addresses. */
export function parseAllowHosts(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((h) =>
      h
        .trim()
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1'),
    )
    .filter((h) => h.length > 0);
}

function ipv4Private(ip: string): boolean {
  const [a, b, c] = ip.split('.').map(Number);
  return (
    a === 0 || // "this" network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local (cloud metadata)
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

/** True for an address that is not a public unicast one: private, loopback, link-local, unspecified, multicast, mapped private. */
export function isPrivateAddress(address: string): boolean {
  const ip = address.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const kind = net.isIP(ip);
  if (kind === 4) return ipv4Private(ip);
  if (kind !== 6) return true;
  const mapped = /^(?:0*:)*:?(?:0*:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return ipv4Private(mapped[1]);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (hex) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return ipv4Private(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  if (ip === '::' || ip === '::1') return true;
  const first = parseInt(ip.split(':')[0] || '0', 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xffc0) === 0xfec0 || // site-local (deprecated)
    (first & 0xff00) === 0xff00 // multicast
  );
}

const hostOf = (url: URL) => url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');

/** Parses a webhook URL: http or https, a host, no user or password in it. Returns the reason when it is not one. */
export function parseWebhookUrl(text: string): URL | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL (e.g. https://oapi.dingtalk.com/robot/send?access_token=…)';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must be http or https, not ${url.protocol.replace(/:$/, '')}`;
  if (!url.hostname) return 'has no host';
  if (url.username || url.password) return 'must not carry a user name or password';
  return url;
}

/** Why an address may not be called, or null. */
function refusal(host: string, address: string, allow: readonly string[]): string | null {
  if (!isPrivateAddress(address) || allow.includes(host) || allow.includes(address.toLowerCase())) return null;
  const what = address === host ? `${host} is a private or loopback address` : `${host} resolves to ${address}, a private or loopback address`;
  return `${what}; such hosts are refused unless the operator lists them in WEBHOOK_ALLOW_HOSTS`;
}

function lookupAll(host: string, timeoutMs: number): Promise<dns.LookupAddress[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`resolving ${host} took longer than ${timeoutMs} ms`)), timeoutMs);
    dns.lookup(host, { all: true, verbatim: true }, (error, addresses) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(addresses);
    });
  });
}

/**
 * Checks a webhook URL's host: its literal address, or `localhost`, or the addresses its name resolves
 * to. Returns the reason for a refusal, or null. A name that does not resolve (now) is not refused here:
 * every delivery checks again.
 */
export async function checkWebhookHost(url: URL, allow: readonly string[], timeoutMs = 3000): Promise<string | null> {
  const host = hostOf(url);
  if (allow.includes(host)) return null;
  if (net.isIP(host)) return refusal(host, host, allow);
  if (host === 'localhost' || host.endsWith('.localhost'))
    return `${host} is a loopback host; such hosts are refused unless the operator lists them in WEBHOOK_ALLOW_HOSTS`;
  let addresses: dns.LookupAddress[];
  try {
    addresses = await lookupAll(host, timeoutMs);
  } catch {
    return null;
  }
  for (const a of addresses) {
    const why = refusal(host, a.address, allow);
    if (why) return why;
  }
  return null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that resolves the name and refuses (with an error naming the address) when
 * any resolved address is private and not allowed: the connection goes only to checked addresses.
 */
export function guardedLookup(allow: readonly string[]) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    const host = hostname.toLowerCase();
    dns.lookup(host, { all: true, verbatim: true, family: options.family }, (error, addresses) => {
      if (error) return callback(error, '');
      for (const a of addresses) {
        const why = allow.includes(host) ? null : refusal(host, a.address, allow);
        if (why) return callback(Object.assign(new Error(why), { code: 'EWEBHOOKHOST' }), '');
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' }), '');
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** The refusal for a literal-address URL at delivery time (a literal address is never looked up). */
export function literalRefusal(url: URL, allow: readonly string[]): string | null {
  const host = hostOf(url);
  if (allow.includes(host)) return null;
  if (net.isIP(host)) return refusal(host, host, allow);
  return null;
}
