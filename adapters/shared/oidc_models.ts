/** Rules both stores keep for oidc-provider's models. */

/** oidc-provider models that belong to a grant and go when it is revoked. */
export const grantable = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** Models an account holds, indexed for "revoke every session". */
export function isAccountModel(model: string): model is 'Session' | 'Grant' {
  return model === 'Session' || model === 'Grant';
}

/** `"<Model>:<id>"`, how a grant's and an account's index name their members. */
export function modelMember(model: string, id: string): string {
  return `${model}:${id}`;
}

export function splitModelMember(member: string): [string, string] {
  const at = member.indexOf(':');
  return [member.slice(0, at), member.slice(at + 1)];
}

/** The sessions and grants among an account's index members that still belong to it. */
export function sessionsAndGrants(members: string[], stillTheAccounts: (member: string, index: number) => boolean): { sessions: string[]; grants: string[] } {
  const sessions: string[] = [];
  const grants: string[] = [];
  members.forEach((member, index) => {
    // Gone (expired, destroyed) or saved again for another account: not this account's any more.
    if (!stillTheAccounts(member, index)) return;
    const [model, id] = splitModelMember(member);
    if (model === 'Session') sessions.push(id);
    else grants.push(id);
  });
  return { sessions, grants };
}
