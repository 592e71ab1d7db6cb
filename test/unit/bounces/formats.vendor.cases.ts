/*
 * Hand-written reports of providers and filtering gateways (Amazon SES, EZweb, Aol, Yandex,
 * mail.ru, GMX, Zoho, InterScan MSS, SurfControl, MessageLabs, amavisd-new, Mimecast,
 * Barracuda, X2, X3, X5, fml), shaped after the markers Sisimai's decoders read. Our own wording.
 */
import { mail, original, parts, type FormatCase } from './formats.make.js';

const dsn = (rcpt: string, status: string, diag: string, mta = 'mx.dest.example.com', action = 'failed') => ['Reporting-MTA: dns; ' + mta.replace(/^mx/, 'out'), '',
  `Final-Recipient: rfc822; ${rcpt}`, `Action: ${action}`, `Status: ${status}`, `Remote-MTA: dns; ${mta}`, `Diagnostic-Code: smtp; ${diag}`];

const sesJson = (bounce: object, sns: boolean) => {
  const doc = { notificationType: 'Bounce', bounce: { feedbackId: '0100018f-aaaa', timestamp: '2025-03-03T10:00:05.000Z', reportingMTA: 'dsn; a8-1.smtp-out.amazonses.com', ...bounce },
    mail: { timestamp: '2025-03-03T10:00:00.000Z', source: 'news@sender.example', messageId: '0100018f-bbbb-000000', destination: ['x@dest.example.com'] } };
  const body = sns ? JSON.stringify({ Type: 'Notification', MessageId: 'c0ffee-1', TopicArn: 'arn:aws:sns:us-east-1:123456789012:ses-bounces', Message: JSON.stringify(doc),
    Timestamp: '2025-03-03T10:00:06.000Z', SignatureVersion: '1', UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe' }, null, 2) : JSON.stringify(doc, null, 2);
  return mail(['From: AWS Notifications <no-reply@sns.amazonaws.com>', 'To: bounces@sender.example', 'Subject: AWS Notification Message', 'Content-Type: text/plain; charset=UTF-8'],
    [body, '', '--', 'If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:']);
};
const sesDsn = (rcpt: string, status: string, diag: string) => mail(['From: MAILER-DAEMON@amazonses.com', 'To: news@sender.example', 'Subject: Delivery Status Notification (Failure)',
  'X-SES-Outgoing: 2025.03.03-54.240.8.1', 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="ses"'], parts('ses',
  ['text/plain; charset=UTF-8', ['An error occurred while trying to deliver the mail to the following recipients:', rcpt]],
  ['message/delivery-status', ['Reporting-MTA: dns; a8-1.smtp-out.amazonses.com', '', `Final-Recipient: rfc822; ${rcpt}`, 'Action: failed', `Status: ${status}`,
    'Remote-MTA: dns; mx.dest.example.com', `Diagnostic-Code: smtp; ${diag}`]], ['message/rfc822', original(rcpt)]));

const gmx = (rcpt: string, lines: string[]) => mail(['From: "Mail Delivery System" <mailer-daemon@gmx.net>', 'To: news@sender.example', 'Subject: Mail delivery failed: returning message to sender',
  'Content-Type: text/plain; charset=utf-8'], ['This message was created automatically by mail delivery software.', '', 'A message that you sent could not be delivered to one or more of',
  'its recipients. This is a permanent error. The following address failed:', '', `"${rcpt}":`, '', ...lines, '', '--- The header of the original message is following. ---', '', ...original(rcpt)]);

const mailru = (rcpt: string, lines: string[]) => mail(['From: Mail Delivery System <mailer-daemon@corp.mail.ru>', 'To: news@sender.example', 'Subject: Mail failure.',
  `X-Failed-Recipients: ${rcpt}`, 'Auto-Submitted: auto-replied', 'Content-Type: text/plain; charset=utf-8'], ['This message was created automatically by mail delivery software.', '',
  'A message that you sent could not be delivered to one or more of its', 'recipients. This is a permanent error. The following address(es) failed:', '', `  ${rcpt}`,
  ...lines.map((l) => `    ${l}`), '', '------ This is a copy of the message, including all the headers. ------', '', ...original(rcpt)]);

const yandex = (rcpt: string, said: string[]) => mail(['From: mailer-daemon@yandex.ru', 'To: news@sender.example', 'Subject: Undelivered Mail Returned to Sender',
  'X-Yandex-Front: mxback12.mail.yandex.net', 'X-Yandex-TimeMark: 1740996005', 'Content-Type: text/plain; charset=utf-8'], ['This is the mail system at host forward100.mail.yandex.net.', '',
  "I'm sorry to have to inform you that your message could not", "be delivered to one or more recipients. It's attached below.", '',
  '                   The mail system', '', `<${rcpt}>: ${said[0]}`, ...said.slice(1).map((l) => `    ${l}`), '', ...original(rcpt)]);

const zoho = (lines: string[], to: string, warning = false) => mail(['From: mailer-daemon@mail.zoho.com', 'To: news@sender.example',
  `Subject: ${warning ? 'Delayed Mail (still being retried)' : 'Undelivered Mail Returned to Sender'}`, 'X-ZohoMail: Si CHF_MF_NL SS_10 UW48 UB48 FMWL UW48 UB48 SGR3_1_09124_42',
  'Content-Type: text/plain; charset=utf-8'], ['This message was created automatically by mail delivery software.',
  warning ? 'THIS IS A WARNING MESSAGE ONLY.' : 'A message that you sent could not be delivered to one or more of its recipients. This is a permanent error.', '', ...lines, '',
  'Received: from mail.zoho.com by mx.zohomail.com', ...original(to)]);

const ezweb = (lines: string[], to: string) => mail(['From: <Postmaster@ezweb.ne.jp>', 'To: news@sender.example', 'Subject: Mail System Error - Returned Mail',
  'Received: from ezweb.ne.jp (EZweb Mail) with ESMTP id 1a2b3c', 'Message-ID: <20250303100005.1a2b3c@mta.ezweb.ne.jp>', 'Content-Type: text/plain; charset=us-ascii'],
  [...lines, '', '--------------------------------------------------', ...original(to)]);

const aol = (rcpt: string, status: string, diag: string) => mail(['From: Mail Delivery System <MAILER-DAEMON@aol.com>', 'To: news@sender.example',
  'Subject: Undeliverable: Spring sale', 'X-AOL-IP: 192.0.2.77', 'X-AOL-Global-Disposition: G', 'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status; boundary="aol"'], parts('aol', ['text/plain', ['This is the mail system at host omr-m011e.mx.aol.com.', '',
  "I'm sorry to have to inform you that your message could not", "be delivered to one or more recipients. It's attached below.", '', '                   The mail system', '',
  `<${rcpt}>: host mailin-01.mx.aol.com[192.0.2.77] said: ${diag} (in reply to end of DATA command)`]],
  ['message/delivery-status', dsn(rcpt, status, diag, 'mailin-01.mx.aol.com')], ['message/rfc822', original(rcpt)]));

const interscan = (lines: string[]) => mail(['From: "InterScan MSS" <postmaster@gw.dest.example.co.jp>', 'To: news@sender.example', 'Subject: Mail could not be delivered',
  'Content-Type: text/plain'], ['This message is from the InterScan Messaging Security Suite at gw.dest.example.co.jp.', '', ...lines, '']);

const surf = (rcpt: string, line: string) => mail(['From: postmaster@filter.dest.example.com', 'To: news@sender.example', 'Subject: Mail could not be delivered',
  'X-SEF-Processed: 7_0_0_071__2025_03_03_10_00_05', 'X-Mailer: SurfControl E-mail Filter', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="sef"'],
  parts('sef', ['text/plain', ['Your message could not be sent.', 'A transcript of the attempts to send the message follows.', 'The number of attempts made: 1',
    `Addressed To: ${rcpt}`, '', 'Mon 03 Mar 2025 10:00:05 +0900', 'Failed to send to identified host,', line, '--- Message non-deliverable.']], ['message/rfc822', original(rcpt)]));

const messagelabs = (rcpt: string, status: string, diag: string) => mail(['From: MAILER-DAEMON@messagelabs.com', 'To: news@sender.example', 'Subject: Mail Delivery Failure',
  'X-Msg-Ref: server-7.tower-222.messagelabs.com!1740996005!1234567!1', 'X-StarScan-Version: 9.0.1; banners=-,-,-', 'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status; boundary="ml"'], parts('ml', ['text/plain', ['This is an automatically generated Delivery Status Notification.', '',
  'Delivery to the following recipients failed.', '', `       ${rcpt}`]], ['message/delivery-status', dsn(rcpt, status, diag, 'mx.dest.example.jp')],
  ['text/rfc822-headers', original(rcpt).slice(0, 6)]));

const amavis = (subject: string, rcpt: string, status: string, diag: string) => mail(['From: "Content-filter at mx.dest.example.jp" <postmaster@mx.dest.example.jp>',
  'To: news@sender.example', `Subject: Undeliverable mail, ${subject}`, 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="amv"'],
  parts('amv', ['text/plain', ['This nondelivery report was generated by the program amavisd-new at host mx.dest.example.jp.', 'Our internal reference code for your message is 12345-01/AbCdEf',
    '', `The message WAS NOT relayed to:`, `<${rcpt}>:`, `   ${diag}`]], ['message/delivery-status', ['Reporting-MTA: dns; mx.dest.example.jp', '',
    `Final-Recipient: rfc822; ${rcpt}`, 'Action: failed', `Status: ${status}`, `Diagnostic-Code: smtp; ${diag}`]], ['text/rfc822-headers', original(rcpt).slice(0, 6)]));

const mimecast = (rcpt: string, problem: string, info: string) => mail(['From: Postmaster <postmaster@dest.example.com>', 'To: news@sender.example',
  'Subject: [Postmaster] Email Delivery Failure', 'Message-Id: <1234567890-1740996005000@us-mta-25.us.mimecast.lan>', 'Content-Type: text/plain; charset=utf-8'], [
  'An email that you attempted to send to the following address could not be delivered:', `-- ${rcpt}`, '', 'The problem appears to be :', `-- ${problem}`, '',
  'Additional information follows :', `-- ${info}`, '', 'This condition occurred after 1 attempt(s) to deliver over a period of 0 hour(s).']);

const barracuda = (rcpt: string, status: string, diag: string) => mail(['From: "Barracuda Spam Firewall" <postmaster@barracuda.dest.example.com>', 'To: news@sender.example',
  'Subject: **Message you sent blocked by our bulk email filter**', 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="bc"'],
  parts('bc', ['text/plain', ['Your message to: ' + rcpt, 'was blocked by our Spam Firewall. The email you sent with the following subject has NOT BEEN DELIVERED:', '',
    'Subject: Spring sale']], ['message/delivery-status', ['Reporting-MTA: dns; barracuda.dest.example.com', '', `Final-Recipient: rfc822; ${rcpt}`, 'Action: failed',
    `Status: ${status}`, `Diagnostic-Code: smtp; ${diag}`]], ['text/rfc822-headers', original(rcpt).slice(0, 6)]));

const x2 = (rcpt: string, lines: string[]) => mail(['From: MAILER-DAEMON@mta.dest.example.net', 'To: news@sender.example', 'Subject: Delivery failure'], [
  'Unable to deliver message to the following address(es).', '', `<${rcpt}>:`, ...lines, '', '--- Original message follows.', '', ...original(rcpt)]);

const x3 = (rcpt: string, technical: string) => mail(['From: Mail Delivery System <MAILER-DAEMON@gw.dest.example.com>', 'To: news@sender.example',
  'Subject: Delivery status notification', 'Content-Type: text/plain'], [
  '============================================================================', '      This is an automatically generated Delivery Status Notification.', '',
  'Delivery to the following recipients failed permanently:', '', `  * ${rcpt}`, '', '', '============================================================================',
  '                            Technical details:', '', technical, '', '', '============================================================================', '', ...original(rcpt)]);

/** X5: a Japanese MTA whose report is the DSN inside a returned message/rfc822 (Sisimai picks the second part). */
const x5 = (rcpt: string, status: string, diag: string) => mail(['From: "=?iso-2022-jp?B?TWFpbCBEZWxpdmVyeSBTdWJzeXN0ZW0=?=" <MAILER-DAEMON@relay.dest.example.jp>',
  'To: NotificationRecipients', 'Subject: =?iso-2022-jp?B?TWFpbCBEZWxpdmVyeSBTdWJzeXN0ZW0=?=', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="x5-outer"'],
  parts('x5-outer', ['text/plain', ['Delivery failed.']], ['message/rfc822', ['From: MAILER-DAEMON@relay.dest.example.jp', 'To: news@sender.example',
    'Subject: Returned mail: see transcript for details', 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="x5-inner"', '',
    ...parts('x5-inner', ['text/plain', ['The original message was received from sender.example.']], ['message/delivery-status', dsn(rcpt, status, diag, 'mx.dest.example.jp')],
      ['message/rfc822', original(rcpt)])]]));

const fml = (subject: string, lines: string[]) => mail(['From: team-ml-admin@lists.example.org', 'To: news@sender.example', `Subject: ${subject}`,
  'Message-Id: <202503031000.FMLAAB5678.team-ml@lists.example.org>', 'X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]', 'Content-Type: text/plain'], [
  ...lines, '', 'Original mail as follows:', '', ...original('team-ml@lists.example.org').map((l) => `   ${l}`)]);

export const VENDOR_CASES: FormatCase[] = [
  // Amazon SES: SNS JSON notifications (wrapped and raw) and the DSN it mails back.
  { format: 'AmazonSES', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', status: '5.1.1',
    raw: sesJson({ bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'bob@dest.example.com', action: 'failed', status: '5.1.1',
      diagnosticCode: 'smtp; 550 5.1.1 <bob@dest.example.com>: Recipient address rejected: User unknown' }] }, true) },
  { format: 'AmazonSES', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft',
    raw: sesJson({ bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: [{ emailAddress: 'amy@dest.example.com', action: 'failed', status: '5.2.2',
      diagnosticCode: 'smtp; 552 5.2.2 Mailbox full' }] }, false) },
  { format: 'AmazonSES', recipient: 'gone@dest.example.com', reason: 'suppressed', class: 'soft',
    raw: sesJson({ bounceType: 'Permanent', bounceSubType: 'Suppressed', bouncedRecipients: [{ emailAddress: 'gone@dest.example.com',
      diagnosticCode: 'Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.' }] }, true) },
  { format: 'AmazonSES', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', status: '5.1.1',
    raw: sesDsn('bob@dest.example.com', '5.1.1', '550 5.1.1 user unknown') },
  { format: 'AmazonSES', recipient: 'max@dest.example.com', reason: 'spamdetected', class: 'soft',
    raw: sesDsn('max@dest.example.com', '5.7.1', '554 5.7.1 Your email was detected as spam') },

  // au EZweb: a plain notice, the addresses in angle brackets.
  { format: 'EZweb', recipient: 'taro@ezweb.ne.jp', reason: 'suspend', class: 'soft',
    raw: ezweb(['The user(s) account is disabled.', '', '<taro@ezweb.ne.jp>: 550 user unknown (in reply to RCPT TO command)'], 'taro@ezweb.ne.jp') },
  { format: 'EZweb', recipient: 'hana@ezweb.ne.jp', reason: 'mailboxfull', class: 'soft',
    raw: ezweb(['The user(s) account is temporarily over quota.', '', '<hana@ezweb.ne.jp>'], 'hana@ezweb.ne.jp') },
  { format: 'EZweb', recipient: 'jiro@ezweb.ne.jp', reason: 'expired', class: 'soft',
    raw: ezweb(['Your message was not delivered within 0 days and 1 hours.', 'Remote host is not responding.', '', '<jiro@ezweb.ne.jp>'], 'jiro@ezweb.ne.jp') },

  // Aol: a Postfix-style report with a DSN.
  { format: 'Aol', recipient: 'bob@aol.com', reason: 'userunknown', class: 'hard',
    raw: aol('bob@aol.com', '5.1.1', '550 5.1.1 <bob@aol.com>: Recipient address rejected: aol.com') },
  { format: 'Aol', recipient: 'amy@aol.com', reason: 'mailboxfull', class: 'soft',
    raw: aol('amy@aol.com', '5.2.2', '552 5.2.2 <amy@aol.com>... Mailbox full (MAILBOX FULL)') },

  // Yandex: Postfix wording from forward*.mail.yandex.net.
  { format: 'Yandex', recipient: 'ivan@dest.example.ru', reason: 'userunknown', class: 'hard',
    raw: yandex('ivan@dest.example.ru', ['host mx.dest.example.ru[192.0.2.80] said: 550 5.1.1', '<ivan@dest.example.ru>... User Unknown (in reply to RCPT TO command)']) },
  { format: 'Yandex', recipient: 'olga@yandex.ru', reason: 'mailboxfull', class: 'soft',
    raw: yandex('olga@yandex.ru', ['host mx.yandex.ru[192.0.2.81] said: 552 5.2.2 Mailbox size limit', 'exceeded (in reply to end of DATA command)']) },

  // mail.ru: Exim wording.
  { format: 'MailRu', recipient: 'petr@mail.ru', reason: 'userunknown', class: 'hard',
    raw: mailru('petr@mail.ru', ['SMTP error from remote mail server after RCPT TO:<petr@mail.ru>:', 'host mxs.mail.ru [192.0.2.90]: 550 Message was not accepted -- invalid mailbox.',
      'Local mailbox petr@mail.ru is unavailable: user not found']) },
  { format: 'MailRu', recipient: 'anna@mail.ru', reason: 'mailboxfull', class: 'soft',
    raw: mailru('anna@mail.ru', ['SMTP error from remote mail server after end of data:', 'host mxs.mail.ru [192.0.2.90]: 552 5.2.2 Message was not accepted -- mailbox is full']) },

  // GMX / WEB.DE: the quoted address, then the remote host's words.
  { format: 'GMX', recipient: 'klaus@dest.example.de', reason: 'userunknown', class: 'hard',
    raw: gmx('klaus@dest.example.de', ['SMTP error from remote server for RCPT TO command, host: mx.dest.example.de (192.0.2.60) reason: 550 5.1.1',
      '<klaus@dest.example.de>: Recipient address rejected: User unknown in local recipient table']) },
  { format: 'GMX', recipient: 'ute@gmx.de', reason: 'mailboxfull', class: 'soft',
    raw: gmx('ute@gmx.de', ['Mailbox quota exceeded']) },

  // Zoho: "address Invalid Address, ERROR_CODE :…" and "[Status: Error, Address: <…>, …]".
  { format: 'Zoho', recipient: 'raj@dest.example.in', reason: 'userunknown', class: 'hard',
    raw: zoho(['raj@dest.example.in Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <raj@dest.example.in>... User Unknown'], 'raj@dest.example.in') },
  { format: 'Zoho', recipient: 'sam@slow.example.in', reason: 'expired', class: 'soft',
    raw: zoho(['[Status: Error, Address: <sam@slow.example.in>, ResponseCode 421, , Host not reachable.]'], 'sam@slow.example.in', true) },

  // InterScan MSS: "Sent <<<" / "Received >>>" transcript lines.
  { format: 'InterScanMSS', recipient: 'ken@dest.example.co.jp', reason: 'mailboxfull', class: 'soft',
    raw: interscan(['Unable to deliver message to <ken@dest.example.co.jp>.', '', 'Sent <<< RCPT TO:<ken@dest.example.co.jp>', 'Received >>> 552 5.2.2 <ken@dest.example.co.jp>... Mailbox full']) },
  { format: 'InterScanMSS', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard',
    raw: interscan(['Unable to deliver message to <joe@nowhere.example> (and other recipients in the same domain).', '', 'Domain not found: nowhere.example']) },

  // SurfControl: "Addressed To:", then "address: [host], reply".
  // No status code and no SMTP command: Sisimai's Filtered takes "No such user".
  { format: 'SurfControl', recipient: 'bob@dest.example.com', reason: 'filtered', class: 'soft',
    raw: surf('bob@dest.example.com', 'bob@dest.example.com: [192.0.2.25], 550 bob@dest.example.com... No such user') },
  { format: 'SurfControl', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft',
    raw: surf('amy@dest.example.com', 'amy@dest.example.com: [192.0.2.25], 552 5.2.2 amy@dest.example.com... Mailbox quota exceeded') },

  // MessageLabs (Symantec.cloud): a DSN whose Status is often vague; the decoder reads the reply.
  { format: 'MessageLabs', recipient: 'yoko@dest.example.jp', reason: 'userunknown', class: 'hard',
    raw: messagelabs('yoko@dest.example.jp', '5.0.0', '550 5.0.0 <yoko@dest.example.jp>... No such user') },
  { format: 'MessageLabs', recipient: 'mio@dest.example.jp', reason: 'securityerror', class: 'soft',
    raw: messagelabs('mio@dest.example.jp', '5.0.0', '553 Please turn on SMTP Authentication in your mail client, or login to the IMAP/POP3 server before sending your message.') },

  // amavisd-new: From "Content-filter at …", a DSN with its verdict.
  { format: 'Amavis', recipient: 'eri@dest.example.jp', reason: 'userunknown', class: 'hard', status: '5.1.1',
    raw: amavis('MTA-BLOCKED', 'eri@dest.example.jp', '5.1.1', '550 5.1.1 <eri@dest.example.jp>: Recipient address rejected: User unknown in local recipient table') },
  // A bare "spam" verdict is no phrase Sisimai knows: the 5.7.0 makes it securityerror.
  { format: 'Amavis', recipient: 'aki@dest.example.jp', reason: 'securityerror', class: 'soft',
    raw: amavis('UNSOLICITED BULK EMAIL apparently from you', 'aki@dest.example.jp', '5.7.0', '554 5.7.0 Reject, id=12345-02 - SPAM') },

  // Mimecast: "-- address" and "-- reason" lines.
  { format: 'Mimecast', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard',
    raw: mimecast('bob@dest.example.com', 'Recipient email address is possibly incorrect', '550 5.1.1 The email account that you tried to reach does not exist') },
  { format: 'Mimecast', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft',
    raw: mimecast('amy@dest.example.com', "Recipient's mailbox is full", '552 5.2.2 Mailbox full') },

  // Barracuda: "**Message you sent blocked by our bulk email filter**" with a DSN.
  { format: 'Barracuda', recipient: 'dan@dest.example.com', reason: 'spamdetected', class: 'soft',
    raw: barracuda('dan@dest.example.com', '5.7.1', '550 5.7.1 Message content rejected') },
  { format: 'Barracuda', recipient: 'eva@dest.example.com', reason: 'virusdetected', class: 'soft',
    raw: barracuda('eva@dest.example.com', '5.7.1', '550 5.7.1 Virus detected: W32.Example.Worm') },

  // X2 / X3 / X5: unnamed MTAs Sisimai recognises by their wording.
  { format: 'X2', recipient: 'neko@dest.example.net', reason: 'suspend', class: 'soft',
    raw: x2('neko@dest.example.net', ['This account has been disabled or discontinued [#102].']) },
  { format: 'X2', recipient: 'inu@dest.example.net', reason: 'mailboxfull', class: 'soft',
    raw: x2('inu@dest.example.net', ['Sorry, the user\'s mailbox is full. (#5.2.2)']) },
  { format: 'X3', recipient: 'kuma@dest.example.com', reason: 'userunknown', class: 'hard',
    raw: x3('kuma@dest.example.com', 'SMTP:RCPT host 192.0.2.8: 553 5.3.0 <kuma@dest.example.com>... No such user here') },
  { format: 'X3', recipient: 'tora@dest.example.com', reason: 'mailboxfull', class: 'soft',
    raw: x3('tora@dest.example.com', 'SMTP:RCPT host 192.0.2.8: 552 5.2.2 <tora@dest.example.com>... Mailbox full') },
  { format: 'X5', recipient: 'shiro@dest.example.jp', reason: 'userunknown', class: 'hard', status: '5.1.1',
    raw: x5('shiro@dest.example.jp', '5.1.1', '550 5.1.1 <shiro@dest.example.jp>... User Unknown') },

  // fml: the reason from the body, else from the Subject (Sisimai Lhost::FML errortitle).
  { format: 'FML', recipient: 'team-ml@lists.example.org', reason: 'systemerror', class: 'soft',
    raw: fml('Loop Alert: Spring sale', ['Duplicated Message-ID in <team-ml@lists.example.org>.']) },
  { format: 'FML', recipient: 'team-ml@lists.example.org', reason: 'securityerror', class: 'soft',
    raw: fml('Security Alert: Spring sale', ['Your mail to <team-ml@lists.example.org> was not distributed.']) },
  { format: 'FML', recipient: 'team-ml@lists.example.org', reason: 'rejected', class: 'soft',
    raw: fml('NOT MEMBER article from news@sender.example (Spring sale)', ['Your mail to <team-ml@lists.example.org> was not distributed.']) },
];
