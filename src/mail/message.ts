/** A mail ready to send. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Language of the mail, for Content-Language. */
  locale: string;
}
