import type { AlertChannel } from './alert-channel.ts';
import { plainTextOf } from './alert-message.ts';
import type { EmailChannelConfig } from './alerts-config.ts';

/** E-mail over SMTP; nodemailer is loaded at the first alert, so a process that never alerts never loads it. */
export function emailChannel(config: EmailChannelConfig): AlertChannel {
  let transport: import('nodemailer').Transporter | undefined;
  return {
    name: config.name,
    type: 'email',
    async send(message) {
      if (!transport) {
        const nodemailer = await import('nodemailer');
        const { smtp } = config;
        transport = nodemailer.createTransport({
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure,
          ignoreTLS: smtp.starttls === 'off',
          requireTLS: smtp.starttls === 'required',
          ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 20_000,
        });
      }
      await transport.sendMail({
        from: config.from,
        to: config.to,
        subject: message.title,
        text: plainTextOf(message),
        headers: { 'X-Credit-ETL-Alert': message.kind },
      });
    },
    async close() {
      transport?.close();
    },
  };
}
