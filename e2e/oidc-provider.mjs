// A real OpenID Connect provider for the browser journeys: the certified `oidc-provider` package,
// serving the accounts of e2e/oidc-accounts.mjs on http://127.0.0.1:${OIDC_PORT:-8122}. scripts/test
// starts it beside the demo and points the demo at it (CAREMARKET_OIDC_*).
//
//   OIDC_PORT=8122 OIDC_REDIRECT_URI=http://127.0.0.1:8099/sign-in/single-sign-on/callback node e2e/oidc-provider.mjs
//
// Its login page is the package's own development form ("devInteractions"): it takes an account's
// login and any password. That is the one part unlike a council's provider; discovery, PKCE, the
// signed ID token with its nonce and groups, and the token endpoint's client authentication are
// the package's real ones. Consent is taken as given, as a council's administrator grants it for
// the whole organisation.
import Provider from "oidc-provider";
import { accounts } from "./oidc-accounts.mjs";

const port = Number(process.env.OIDC_PORT || 8122);
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = process.env.OIDC_REDIRECT_URI;
if (!redirectUri) {
  console.error("oidc-provider: set OIDC_REDIRECT_URI to caremarket's /sign-in/single-sign-on/callback address");
  process.exit(2);
}
export const CLIENT_ID = "caremarket";
const clientSecret = process.env.OIDC_CLIENT_SECRET || "caremarket-e2e-client-secret";

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  // The groups come with the profile, and every claim is in the ID token, as Entra ID sends them.
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"] },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ["caremarket-e2e-cookie-key"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
});

const server = provider.listen(port, "127.0.0.1", () => {
  console.log(`oidc-provider: ${issuer} (client ${CLIENT_ID}, redirect ${redirectUri})`);
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
