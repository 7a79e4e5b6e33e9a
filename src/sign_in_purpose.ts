/**
 * What a sign-in is for, as its pages and its code mail say it: opening a secure link (the
 * request names a `sharing_id`), accepting an invitation (it comes through the invitations
 * client), or signing in to an application without a link. A page that speaks of a link when
 * there is none, or of something shared when someone was invited, confuses the person it should
 * reassure; so every sentence that depends on it has one wording per purpose in each catalogue.
 */
import { invitationsClientId } from './invitations.ts';

export const signInPurposes = ['link', 'invitation', 'signIn'] as const;
export type SignInPurpose = (typeof signInPurposes)[number];

export function signInPurpose({ clientId, sharingId }: { clientId: string; sharingId?: string | undefined }): SignInPurpose {
  if (sharingId !== undefined) return 'link';
  return clientId === invitationsClientId ? 'invitation' : 'signIn';
}
