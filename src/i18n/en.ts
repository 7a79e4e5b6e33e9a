/**
 * English: the reference catalogue. Every other locale provides exactly the same keys, the same
 * number of arguments to each function and the same number of lines in each list — the compiler
 * checks the keys, test/unit/locales.test.ts all of it at runtime.
 *
 * Where a sentence depends on what the sign-in is for (src/sign_in_purpose.ts) it has one
 * wording per purpose: `link` (a secure link was shared), `invitation` (a guest accepts an
 * invitation), `signIn` (an application asked, no link involved).
 */
const en = {
  languageName: 'English',
  layout: {
    poweredBy: (organization: string) => `${organization} · secure sharing`,
    language: 'Language',
  },
  /** Who is asking, above the title (interactions/views/client_slot.ts); the name follows `requestedBy`. */
  client: {
    requestedBy: 'Sign-in requested by',
    unnamed: 'An application asks you to sign in.',
    privacyPolicy: 'Privacy policy',
    termsOfService: 'Terms of service',
    linksLabel: 'The application’s documents',
  },
  email: {
    title: {
      link: 'Verify your email',
      invitation: 'Accept your invitation',
      signIn: 'Verify your email',
    },
    intro: {
      link: (client: string) => `${client} uses this page to check that you are one of the people it shared something with.`,
      signIn: (client: string) => `${client} asks you to confirm your email address with a one-time code.`,
    },
    invitedBy: (inviter: string, organization: string) => `${inviter} invited you to ${organization} as a guest. To accept, confirm your email address with a one-time code.`,
    invited: (organization: string) => `You are invited to ${organization} as a guest. To accept, confirm your email address with a one-time code.`,
    thenContinue: (site: string) => `Afterwards you go on to ${site}.`,
    label: 'Email address',
    hint: {
      link: 'Use the address the link was shared with.',
      invitation: 'Use the address the invitation was sent to.',
      signIn: 'We send the code to this address.',
    },
    submit: 'Send code',
  },
  code: {
    title: 'Enter your code',
    sentTo: (masked: string, length: number) =>
      `If ${masked} has access, ${length === 8 ? 'an' : 'a'} ${length}-digit code is on its way to it.`,
    expiresIn: (minutes: number) => `The code works for ${minutes} minutes, once.`,
    label: 'Code',
    submit: 'Verify',
    keepSignedIn: 'Keep me signed in on this device',
    keepSignedInHint: (days: number) => `You will still be asked for a new code after ${days} days.`,
    delivery: {
      label: 'Delivery',
      sending: 'Sending…',
      sent: 'Sent.',
      delayed: 'Taking longer than usual; we keep trying.',
      failed: 'Mail cannot be sent at the moment. Please try again later.',
    },
    resend: 'Send a new code',
    resendIn: (seconds: number) => `You can ask for a new code in ${seconds} s.`,
    resendNow: 'You can ask for a new code now.',
    changeEmail: 'Use a different email address',
    helpTitle: 'Nothing arrived?',
    helpWait: 'Wait a minute and look in your spam or junk folder.',
    helpCheck: {
      link: 'Check that this is the address the link was shared with: codes go only to those addresses.',
      invitation: 'Check that this is the address the invitation was sent to.',
      signIn: 'Check that the address is spelled right.',
    },
    helpNewest: 'Ask for a new code: only the newest code works.',
    helpAsk: {
      link: 'Still nothing? Ask the person who shared the link to check your address.',
      invitation: 'Still nothing? Ask the person who invited you to check your address.',
      signIn: 'Still nothing? Ask whoever gave you access to check your address.',
    },
  },
  notice: {
    invalidEmail: 'That does not look like an email address. Check it and try again.',
    invalidCodeFormat: (length: number) => `Enter the ${length}-digit code from the mail.`,
    wrongCode: (triesLeft: number) =>
      triesLeft === 1 ? 'That code is not right. 1 try left.' : `That code is not right. ${triesLeft} tries left.`,
    wrongCodeNoTriesLeft: 'That code is not right, and it cannot be used any more. Ask for a new code.',
    codeExpired: 'That code has expired. Ask for a new code.',
    tooManyAttempts: 'This code cannot be used any more. Ask for a new code.',
    lockedOut: (minutes: number) => `Too many wrong codes for this address. Try again in ${minutes} minutes.`,
    tooManyCodes: (minutes: number) => `Too many codes were asked for. Try again in ${minutes} minutes.`,
    resendWait: (seconds: number) => `A code was sent a moment ago. You can ask for a new one in ${seconds} s.`,
    codeResent: 'If this address has access, a new code is on its way. Earlier codes no longer work.',
    codeUsed: 'That code was already used. Ask for a new code.',
    accessRemoved: {
      link: 'This code no longer works: the link is no longer shared with this address, or it has expired. Ask the person who shared it.',
      invitation: 'This code no longer works: this address no longer has access. Ask the person who invited you.',
      signIn: 'This code no longer works: this address no longer has access. Ask whoever gave you access.',
    },
    stepUnavailable: 'That step is no longer available; here is where your sign-in stands.',
    federationFailed: (reason: string) => `The work-account sign-in did not work: ${reason}`,
  },
  federation: {
    useWorkAccount: (provider: string) => `Sign in with your ${provider} instead`,
    offerTitle: 'Use your work account next time?',
    offerIntro: (provider: string, masked: string) =>
      `You can link ${masked} to your ${provider}. From then on you sign in with your work account, without codes.`,
    offerAccept: (provider: string) => `Link my ${provider}`,
    offerDecline: 'Not now, continue',
    failedTitle: 'Your work account was not linked',
    failedIntro: 'Your code was right, so you can carry on; you will be asked for a code again next time.',
    continue: 'Continue',
    reasons: {
      email_mismatch: 'the work account is for another email address than the one you verified.',
      email_not_verified: 'the work provider has not verified the email address of that account.',
      identity_taken: 'that work account is already linked to someone else.',
      another_identity_linked: 'another work account is already linked to this address.',
      wrong_account: 'you signed in with a different work account than the one linked to this address.',
      not_linked: 'that work account is not linked to anyone here.',
      upstream_error: 'the work provider did not complete the sign-in.',
      provider_unavailable: 'the work provider cannot be reached right now.',
      invitation_invalid: 'the invitation is no longer valid here. Ask for a code instead.',
      access_removed: 'access for this address has been removed.',
    },
  },
  noAccess: {
    title: {
      link: 'No access to this link',
      invitation: 'No access with this address',
      signIn: 'No access with this address',
    },
    body: {
      link: (masked: string) => `You are signed in as ${masked}, and the link you opened is not shared with that address.`,
      invitation: (masked: string) => `You are signed in as ${masked}, and the invitation is for another address.`,
      signIn: (masked: string) => `You are signed in as ${masked}, and that address has no access here.`,
    },
    hint: {
      link: 'If it was shared with another of your addresses, use that one.',
      invitation: 'Use the address the invitation was sent to.',
      signIn: 'If another of your addresses has access, use that one.',
    },
    other: 'Use a different email address',
  },
  chooseAccount: {
    title: 'Choose an account',
    intro: (client: string) => `${client} asks which account to use.`,
    continueAs: (masked: string) => `Continue as ${masked}`,
    other: 'Use a different email address',
  },
  removed: {
    title: 'Access removed',
    body: (masked: string, organization: string) => `Access for ${masked} has been removed by ${organization}.`,
    ask: (contact: string) => `If you think this is a mistake, contact ${contact}.`,
    askOwner: {
      link: 'If you think this is a mistake, ask the person who shared the link with you.',
      invitation: 'If you think this is a mistake, ask the person who invited you.',
      signIn: 'If you think this is a mistake, ask whoever gave you access.',
    },
    other: 'Use a different email address',
  },
  invitation: {
    acceptedTitle: 'Invitation accepted',
    accepted: (organization: string) => `You are now a guest of ${organization}.`,
    nextTitle: 'What happens next',
    next: (organization: string, masked: string) => [
      `When someone at ${organization} shares something with you, you get a link by email.`,
      `Open it and sign in as ${masked}: with a code sent to that address, or with your work account once it is linked.`,
      'There is nothing more to do here; you can close this page.',
    ],
    unknownTitle: 'Invitation not found',
    unknown: 'This invitation link is unknown or has expired. Ask the person who invited you for a new one.',
  },
  error: {
    title: 'Something went wrong',
    expired: 'This sign-in page has expired or was already used. Go back to the app or link and open it again.',
    invalidRequest: 'The app sent an incomplete or invalid sign-in request. Go back and try again; if it keeps happening, tell whoever sent you here.',
    unavailable: 'The sign-in service is briefly unavailable. Please try again in a moment.',
    generic: 'The sign-in could not be completed. Go back and try again.',
    tooManyRequests: 'Too many requests. Wait a moment and try again.',
    forbidden: 'This form expired or did not come from this site. Go back, reload the page and try again.',
    details: 'Details for the app developer',
    back: 'Start again',
  },
  logout: {
    title: 'Sign out?',
    question: (organization: string) => `Do you want to sign out of ${organization} on this device?`,
    confirm: 'Sign out',
    cancel: 'Stay signed in',
    doneTitle: 'Signed out',
    done: 'You are signed out on this device.',
  },
  mail: {
    invitationSubject: (organization: string) => `${organization} invited you as a guest`,
    invitationIntro: (organization: string, email: string) => `${organization} invited ${email} as a guest, to open what people there share with you.`,
    invitationAction: 'To accept, open this address in your browser:',
    invitationProof: 'You will prove it is you with a code sent to this address, or with your work account.',
    verificationSubject: (organization: string) => `Your verification code for ${organization}`,
    verificationGreeting: 'Hello,',
    verificationIntro: 'Your verification code is:',
    verificationUse: (minutes: number) =>
      `Enter it on the page where you asked for it. It works once, for ${minutes} minutes.`,
    verificationWhy: {
      link: (client: string, email: string) => `${client} shared something with ${email} and asked us to check that it is you.`,
      invitation: (organization: string, email: string) => `You are accepting an invitation to ${organization} for ${email}; the code shows that the address is yours.`,
      signIn: (client: string, email: string) => `${client} asked us to check that ${email} is yours.`,
    },
    verificationIgnore: 'If you did not ask for this code, ignore this mail: nobody can sign in without it. Never share it with anyone.',
    footer: (organization: string) => `Sent by ${organization}.`,
  },
};

export default en;
export type Messages = typeof en;
