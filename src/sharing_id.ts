/** A UniqueSharingId: at least 128 random bits, base64url (guestpass makes 192). */
export const sharingIdPattern = /^[A-Za-z0-9_-]{22,64}$/;
