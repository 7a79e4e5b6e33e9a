/**
 * What guestpass must know about the file host: one client that both manages its links
 * (`client_credentials`, `links:read links:write`) and signs recipients in (`authorization_code`,
 * `openid email sharing`, redirect URI `<publicUrl>/callback`, compared exactly). Put the same
 * object in guestpass's configuration file under `clients`.
 */
export function fileHostClientMetadata({ publicUrl, clientId = 'file-host', clientSecret }: { publicUrl: string; clientId?: string; clientSecret: string }) {
  return {
    client_id: clientId,
    client_secret: clientSecret,
    client_name: 'Example File Host',
    redirect_uris: [`${publicUrl.replace(/\/+$/, '')}/callback`],
    grant_types: ['authorization_code', 'client_credentials'],
    response_types: ['code'],
    scope: 'openid email profile sharing links:read links:write',
  };
}
