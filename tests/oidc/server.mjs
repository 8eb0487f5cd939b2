// A real OAuth 2.0 authorization server (oidc-provider) on loopback, shaped like the Microsoft
// Entra ID endpoints that vaultlink's browser sign-in talks to, for the end-to-end tests.
//
//   PORT=0 TENANT=organizations node tests/oidc/server.mjs
//
// Prints one JSON line once listening: {"issuer":…,"base":"http://127.0.0.1:PORT","port":PORT}.
// `base` is what vaultlink gets as AZURE_AUTHORITY_HOST. The server exits when its standard input
// closes, so a test process that dies never leaves it behind (from a terminal: Ctrl-D).
//
// Configuration decisions:
// - Endpoints: oidc-provider's `routes` put authorization and token at Entra's paths,
//   `/<tenant>/oauth2/v2.0/{authorize,token}`; the provider is not mounted under a prefix, so its
//   own pages (`/interaction/<uid>`) stay at the root. The issuer is Entra's v2 form
//   `<base>/<tenant>/v2.0`; only the tenant given in TENANT is served, so a client that picked
//   the wrong tenant gets a 404.
// - Client: the public client Azure tools use, `application_type: 'native'` and no client
//   authentication. For native clients oidc-provider compares loopback redirect URIs without
//   their port (RFC 8252 §7.3), so the one registered `http://127.0.0.1/` admits
//   `http://127.0.0.1:<any port>/`. PKCE is required of every request, with S256 only.
// - Scopes without `openid`: Azure clients ask for `https://vault.azure.net/user_impersonation
//   offline_access`. oidc-provider does not need `openid` for response_type=code; scopes that are
//   not its own OpenID scopes must belong to a resource server (Resource Indicators, RFC 8707).
//   Entra names the resource inside the scope instead of in a `resource` parameter, so
//   `defaultResource` derives it from the requested scopes, and Key Vault is the one resource
//   server, whose scope is the full `https://vault.azure.net/user_impersonation`. Access tokens
//   are opaque, with Key Vault as their audience.
// - Refresh tokens: oidc-provider honours `offline_access` only together with `prompt=consent`
//   (OpenID Connect Core §11) and silently drops it otherwise, which would leave no refresh
//   token and would refuse a refresh request that names `offline_access` again, as Azure clients
//   do. Entra needs no such prompt, and Azure clients send none; so a middleware adds
//   `prompt=consent` to GET authorization requests that ask for `offline_access` without a
//   prompt. The consent page then always shows, which the test driver answers. Refresh tokens
//   rotate on every use, and a rotated one used again revokes the whole grant: stricter than
//   Entra, where earlier refresh tokens stay valid, so a client must keep the newest.
// - Sign-in: oidc-provider's development login and consent pages; any login name works and the
//   password is ignored. Accounts are whatever login name was typed.
// - State is in oidc-provider's in-memory adapter; signing keys and cookie keys are generated at
//   every start. Plain http on loopback: cookies are not marked Secure because requests are not
//   secure, and no proxy is trusted.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

const CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const KEY_VAULT = 'https://vault.azure.net';

// oidc-provider prints its development notices with console.info; stdout carries only the one
// JSON line that tells the caller where the server listens.
console.info = console.error;

const tenant = process.env.TENANT || 'organizations';

// The issuer names the port, so the provider is built once the server listens.
let handler;
const server = createServer((req, res) => handler(req, res));
server.listen(Number(process.env.PORT || 0), '127.0.0.1');
await once(server, 'listening');
const { port } = server.address();
const base = `http://127.0.0.1:${port}`;
const issuer = `${base}/${tenant}/v2.0`;

const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: randomUUID(),
  alg: 'RS256',
  use: 'sig',
};

const routes = {
  authorization: `/${tenant}/oauth2/v2.0/authorize`,
  token: `/${tenant}/oauth2/v2.0/token`,
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/'],
    },
  ],
  routes,
  pkce: { methods: ['S256'], required: () => true },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, _client, oneOf) => {
        if (oneOf) return oneOf;
        const scopes = ctx.oidc.params.scope?.split(' ') ?? [];
        return scopes.some((scope) => scope.startsWith(`${KEY_VAULT}/`)) ? KEY_VAULT : undefined;
      },
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== KEY_VAULT) throw new errors.InvalidTarget();
        return {
          scope: `${KEY_VAULT}/user_impersonation`,
          audience: KEY_VAULT,
          accessTokenFormat: 'opaque',
        };
      },
    },
  },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
});
provider.use((ctx, next) => {
  const { scope, prompt } = ctx.query;
  if (
    ctx.method === 'GET'
    && ctx.path === routes.authorization
    && prompt === undefined
    && typeof scope === 'string'
    && scope.split(' ').includes('offline_access')
  ) {
    ctx.query = { ...ctx.query, prompt: 'consent' };
  }
  return next();
});
handler = provider.callback();

process.stdout.write(`${JSON.stringify({ issuer, base, port })}\n`);

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
