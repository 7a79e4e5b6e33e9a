/** A relying party as any would be: an unmodified openid-client with PKCE, state and nonce. */
import * as client from 'openid-client';

export interface PendingAuthorization {
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export class TestRelyingParty {
  constructor(
    readonly config: client.Configuration,
    readonly redirectUri: string,
  ) {}

  static async discover(issuer: string, clientId: string, clientSecret: string, redirectUri: string): Promise<TestRelyingParty> {
    const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, { execute: [client.allowInsecureRequests] });
    return new TestRelyingParty(config, redirectUri);
  }

  async authorizationUrl(parameters: Record<string, string> = {}): Promise<PendingAuthorization> {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(this.config, {
      redirect_uri: this.redirectUri,
      scope: 'openid email profile sharing',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...parameters,
    });
    return { url: url.href, state, nonce, codeVerifier };
  }

  async redeem(pending: PendingAuthorization, callbackUrl: string) {
    return client.authorizationCodeGrant(this.config, new URL(callbackUrl), {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
    });
  }

  userinfo(accessToken: string, subject: string) {
    return client.fetchUserInfo(this.config, accessToken, subject);
  }
}
