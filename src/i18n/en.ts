/** English: the reference catalogue. Every other locale must provide the same keys (checked by the compiler). */
const en = {
  languageName: 'English',
  layout: {
    poweredBy: (organization: string) => `${organization} · secure sharing`,
    language: 'Language',
  },
  email: {
    title: 'Verify your email',
    intro: (client: string) => `${client} uses this page to check that you are one of the people it shared something with.`,
    introNoClient: 'Enter your email address to receive a one-time code.',
    label: 'Email address',
    hint: 'Use the address the link was shared with.',
    submit: 'Send code',
  },
  code: {
    title: 'Enter your code',
    sentTo: (masked: string, length: number) =>
      `If ${masked} has access, a ${length}-digit code is on its way to it.`,
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
      failed: 'We could not deliver the mail. Check the address or ask for a new code.',
    },
    resend: 'Send a new code',
    resendIn: (seconds: number) => `You can ask for a new code in ${seconds} s.`,
    resendNow: 'You can ask for a new code now.',
    changeEmail: 'Use a different email address',
    helpTitle: 'Nothing arrived?',
    help: [
      'Wait a minute and look in your spam or junk folder.',
      'Check that this is the address the link was shared with: codes go only to those addresses.',
      'Ask for a new code: only the newest code works.',
      'Still nothing? Ask the person who shared the link to check your address.',
    ],
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
    accessRemoved: 'This code no longer works: the link is no longer shared with this address, or it has expired. Ask the person who shared it.',
    stepUnavailable: 'That step is no longer available; here is where your sign-in stands.',
  },
  error: {
    title: 'Something went wrong',
    expired: 'This sign-in page has expired or was already used. Go back to the app or link and open it again.',
    invalidRequest: 'The app sent an incomplete or invalid sign-in request. Go back and try again; if it keeps happening, tell the person who shared the link.',
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
    verificationSubject: (organization: string) => `Your verification code for ${organization}`,
    verificationGreeting: 'Hello,',
    verificationIntro: 'Your verification code is:',
    verificationUse: (minutes: number) =>
      `Enter it on the page where you asked for it. It works once, for ${minutes} minutes.`,
    verificationWhy: (client: string, email: string) =>
      `${client} shared something with ${email} and asked us to check that it is you.`,
    verificationIgnore: 'If you did not ask for this code, ignore this mail: nobody can sign in without it. Never share it with anyone.',
    footer: (organization: string) => `Sent by ${organization}.`,
  },
};

export default en;
export type Messages = typeof en;
