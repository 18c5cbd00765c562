// SPDX-License-Identifier: Apache-2.0
// oidc_server.mjs - a real OpenID provider on loopback for the OIDC tests:
// oidc-provider (pinned in web/package.json, installed into BUILD/npm) with
// devInteractions (its own login and consent forms; any password), PKCE
// required, and the account's "groups" in the ID token.
//
//   node oidc_server.mjs CONFIG.json
// CONFIG: {"issuer": "http://127.0.0.1:PORT", "port": PORT,
//          "clients": [{"client_id", "client_secret", "redirect_uris": [...],
//                       "token_endpoint_auth_method"?}],
//          "accounts": "/path/accounts.json"}
// accounts.json is read at every sign-in, so a test changes a user's groups
// by rewriting it: {"alice": {"groups": ["nvr-admins"], "email": "..."}}.
// An unknown account cannot sign in.  Prints "ready PORT" when listening.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const npmDir = process.env.NPM_DIR;
const require = createRequire(path.join(npmDir, 'package.json'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const conf = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function accounts() {
  return JSON.parse(fs.readFileSync(conf.accounts, 'utf8'));
}

const provider = new Provider(conf.issuer, {
  clients: conf.clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  pkce: { required: () => true },
  conformIdTokenClaims: false, // the groups claim goes into the ID token (no userinfo call)
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name', 'groups'],
    email: ['email', 'email_verified'],
  },
  cookies: { keys: ['oidc-test-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const a = accounts()[id];
    if (!a) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: a.preferred_username || id,
          name: id,
          groups: a.groups || [],
          email: a.email,
          email_verified: true,
        };
      },
    };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.listen(conf.port, '127.0.0.1', () => {
  console.log(`ready ${conf.port}`);
});
