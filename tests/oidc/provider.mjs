// A real OpenID Provider for Hearken's SSO tests: node's oidc-provider (OpenID Certified), on loopback.
//
// Started by tests/oidc/conftest.py with its settings in the environment:
//   OIDC_REDIRECT_URI  the one redirect URI of the static client "hearken" (secret "hearken-secret")
//   OIDC_ACCOUNTS      JSON: login name → the claims of that account (sub is the login name)
//   OIDC_TAMPER        optional: after the token endpoint has answered, replace its ID token by one that a
//                      careless client would still accept: "other-key" (the same claims and key id, signed
//                      by a key the provider never published), "other-audience" (for another audience, still
//                      naming Hearken as its authorised party, signed by the provider's own key: Authlib's
//                      own checks let it through), "no-nonce" (the nonce left out), "other-issuer" (another
//                      issuer named) or "expired" (expired an hour ago), the last three with its own key.
// It prints "listening <port>" once it serves. The login and consent pages are oidc-provider's own
// development interactions: any password is accepted for a login named in OIDC_ACCOUNTS.
import { createServer } from "node:http";
import Provider from "oidc-provider";
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from "jose";

const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");
const tamper = process.env.OIDC_TAMPER || "";
const KID = "hearken-test-key";

async function signingKey() {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: KID, alg: "RS256", use: "sig" };
}

const published = await signingKey();
const unpublished = await signingKey();  // same kid: only the signature tells the two apart

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{
      client_id: "hearken",
      client_secret: "hearken-secret",
      redirect_uris: [process.env.OIDC_REDIRECT_URI],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    }],
    pkce: { required: () => true },  // every authorisation request must carry an S256 code challenge
    jwks: { keys: [published] },
    cookies: { keys: ["hearken-test-cookie-key"] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
      groups: ["groups"],
    },
    // Claims in the ID token itself (as Keycloak, Entra ID and Google put them), not only at userinfo.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      if (!Object.hasOwn(accounts, id)) return undefined;
      return { accountId: id, async claims() { return { ...accounts[id], sub: id }; } };
    },
  });

  provider.use(async (ctx, next) => {
    await next();
    if (!tamper || ctx.path !== "/token" || !ctx.body || !ctx.body.id_token) return;
    const claims = decodeJwt(ctx.body.id_token);
    let key = published;
    if (tamper === "other-key") key = unpublished;
    if (tamper === "other-audience") { claims.aud = "another-application"; claims.azp = "hearken"; }
    if (tamper === "no-nonce") delete claims.nonce;
    if (tamper === "other-issuer") claims.iss = "https://login.example.net";
    if (tamper === "expired") { claims.iat -= 7200; claims.exp = claims.iat + 3600; }
    const header = decodeProtectedHeader(ctx.body.id_token);
    ctx.body = { ...ctx.body, id_token: await new SignJWT(claims).setProtectedHeader(header)
      .sign(await importJWK(key, "RS256")) };
  });

  server.on("request", provider.callback());
  process.stdout.write(`listening ${port}\n`);
});
