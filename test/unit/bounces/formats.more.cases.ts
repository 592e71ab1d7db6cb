/*
 * More hand-written reports: several recipients with different errors in one text report
 * (each must keep its own diagnostic), and formats of providers and Japanese gateways not
 * covered elsewhere (Gmail and Yahoo text notices, SendGrid, KDDI, m-FILTER). Our own wording.
 */
import { mail, original, parts, type FormatCase } from './formats.make.js';

const eximTwo = mail(['From: Mail Delivery System <Mailer-Daemon@mx1.sender.example>', 'To: news@sender.example', 'Subject: Mail delivery failed: returning message to sender',
  'X-Failed-Recipients: bob@dest.example.com, amy@other.example.org', 'Auto-Submitted: auto-replied'], [
  'This message was created automatically by mail delivery software.', '', 'A message that you sent could not be delivered to one or more of its',
  'recipients. This is a permanent error. The following address(es) failed:', '', '  bob@dest.example.com', '    host mx.dest.example.com [192.0.2.25]',
  '    SMTP error from remote mail server after RCPT TO:<bob@dest.example.com>:', '    550 5.1.1 <bob@dest.example.com>: Recipient address rejected: User unknown', '',
  '  amy@other.example.org', '    host mx.other.example.org [192.0.2.26]', '    SMTP error from remote mail server after RCPT TO:<amy@other.example.org>:',
  '    452 4.2.2 <amy@other.example.org>: Mailbox full', '', '------ This is a copy of the message, including all the headers. ------', '', ...original('bob@dest.example.com, amy@other.example.org')]);

const qmailTwo = mail(['From: MAILER-DAEMON@mail.sender.example', 'To: news@sender.example', 'Subject: failure notice'], [
  'Hi. This is the qmail-send program at mail.sender.example.', "I'm afraid I wasn't able to deliver your message to the following addresses.",
  "This is a permanent error; I've given up. Sorry it didn't work out.", '', '<bob@dest.example.com>:', '192.0.2.25 does not like recipient.',
  'Remote host said: 550 5.1.1 <bob@dest.example.com>... User unknown', 'Giving up on 192.0.2.25.', '', '<joe@nowhere.example>:',
  "Sorry, I couldn't find any host named nowhere.example. (#5.1.2)", '', '--- Below this line is a copy of the message.', '', ...original('bob@dest.example.com')]);

const postfixTwo = mail(['From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)', 'To: news@sender.example', 'Subject: Undelivered Mail Returned to Sender'], [
  'This is the mail system at host mx.sender.example.', '', "I'm sorry to have to inform you that your message could not", "be delivered to one or more recipients. It's attached below.", '',
  '                   The mail system', '', '<bob@dest.example.com>: host mx.dest.example.com[192.0.2.25] said: 550 5.1.1', '    <bob@dest.example.com>: Recipient address rejected: User unknown (in reply to RCPT TO',
  '    command)', '', '<amy@dest.example.com>: host mx.dest.example.com[192.0.2.25] said: 552 5.2.2', '    <amy@dest.example.com>: Mailbox full (in reply to RCPT TO command)', '',
  '--- Original message follows.', '', ...original('bob@dest.example.com, amy@dest.example.com')]);

const gmail = (rcpt: string, said: string) => mail(['From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>', 'To: news@sender.example',
  'Subject: Delivery Status Notification (Failure)', 'Content-Type: text/plain; charset=ISO-8859-1'], ['This is an automatically generated Delivery Status Notification', '',
  'Delivery to the following recipient failed permanently:', '', `     ${rcpt}`, '', 'Technical details of permanent failure:',
  `Google tried to deliver your message, but it was rejected by the server for the recipient domain ${rcpt.split('@')[1]} by mx.${rcpt.split('@')[1]}. [192.0.2.25].`, '',
  'The error that the other server returned was:', said, '', '----- Original message -----', '', ...original(rcpt)]);

const yahoo = (rcpt: string, said: string) => mail(['From: MAILER-DAEMON@yahoo.com', 'To: news@sender.example', 'Subject: Failure Notice'], [
  'Sorry, we were unable to deliver your message to the following address.', '', `<${rcpt}>:`, `Remote host said: ${said}`, '', '--- Below this line is a copy of the message.', '', ...original(rcpt)]);

const sendgrid = (rcpt: string, status: string, diag: string) => mail(['From: MAILER-DAEMON <bounces@sendgrid.net>', 'Return-Path: <apps@sendgrid.net>', 'To: news@sender.example',
  'Subject: Undelivered Mail Returned to Sender', 'X-Mailer: MIME-tools 5.502 (Entity 5.502)', 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="sg"'],
  parts('sg', ['text/plain', ['This is an automatically generated message from SendGrid.', '', "I'm sorry to have to tell you that your message was not able to be",
    'delivered to one of its intended recipients.', '', 'If you require assistance with this, please contact SendGrid support.', '', `${rcpt}: ${diag}`]],
  ['message/delivery-status', ['Arrival-Date: 2025-03-03 10-00-00', '', `Final-Recipient: rfc822; ${rcpt}`, 'Action: failed', `Status: ${status}`, `Diagnostic-Code: smtp; ${diag}`]],
  ['message/rfc822', original(rcpt)]));

const kddi = (rcpt: string, why: string) => mail(['From: Postmaster@dion.ne.jp', 'To: news@sender.example', 'Subject: Undeliverable Mail', 'Content-Type: text/plain; charset="iso-2022-jp"'], [
  'Your mail sent on: Mon, 03 Mar 2025 10:00:00 +0900', `     Could not be delivered to: <${rcpt}>`, `     ${why}`, '', ...original(rcpt)]);

const mfilter = (rcpt: string, said: string, command: string) => mail(['From: MAILER-DAEMON@gw.dest.example.jp', 'To: news@sender.example', 'Subject: failure notice',
  'X-Mailer: m-FILTER', 'Content-Type: text/plain; charset=utf-8'], ['このメールは「m-FILTER」が自動的に発信しています。', '', 'メールの配信に失敗しました。', '', '宛先:', rcpt, '',
  '-------server message', said, '', '-------SMTP command', command, '', '-------元のメッセージ', ...original(rcpt)]);

export const MORE_CASES: FormatCase[] = [
  // Two recipients, two different errors: each keeps its own (Exim, qmail, Postfix text).
  { format: 'Exim', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', count: 2, raw: eximTwo },
  { format: 'Exim', recipient: 'amy@other.example.org', reason: 'mailboxfull', class: 'soft', count: 2, status: '4.2.2', raw: eximTwo },
  { format: 'qmail', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', count: 2, raw: qmailTwo },
  { format: 'qmail', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard', count: 2, raw: qmailTwo },
  { format: 'Postfix', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', count: 2, status: '5.1.1', raw: postfixTwo },
  { format: 'Postfix', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft', count: 2, status: '5.2.2', raw: postfixTwo },

  // Gmail's text notice (before it sent DSNs): the other server's reply under "Technical details".
  { format: 'Gmail', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', raw: gmail('bob@dest.example.com', '550 5.1.1 <bob@dest.example.com>... User Unknown') },
  { format: 'Gmail', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft', raw: gmail('amy@dest.example.com', '552 5.2.2 <amy@dest.example.com>... Mailbox Full') },
  // Yahoo: "Sorry, we were unable to deliver your message to the following address."
  { format: 'Yahoo', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', raw: yahoo('bob@dest.example.com', '550 5.1.1 <bob@dest.example.com>... User Unknown [RCPT_TO]') },
  { format: 'Yahoo', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard', raw: yahoo('joe@nowhere.example', '550 5.1.2 Host unknown: nowhere.example') },
  // SendGrid: its own text, a DSN with its odd Arrival-Date.
  { format: 'SendGrid', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', status: '5.1.1',
    raw: sendgrid('bob@dest.example.com', '5.1.1', '550 5.1.1 <bob@dest.example.com>... User Unknown') },
  { format: 'SendGrid', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft',
    raw: sendgrid('amy@dest.example.com', '5.2.2', '552 5.2.2 <amy@dest.example.com>... Mailbox Full') },
  // KDDI (dion / au one net): "Could not be delivered to: <address>" then the reason.
  { format: 'KDDI', recipient: 'hana@dion.ne.jp', reason: 'mailboxfull', class: 'soft', raw: kddi('hana@dion.ne.jp', 'As their mailbox is full.') },
  // m-FILTER: the address alone on a line, "-------server message", "-------SMTP command".
  { format: 'mFILTER', recipient: 'bob@dest.example.jp', reason: 'userunknown', class: 'hard',
    raw: mfilter('bob@dest.example.jp', '550 5.1.1 <bob@dest.example.jp>... User unknown', 'RCPT TO') },
  { format: 'mFILTER', recipient: 'amy@dest.example.jp', reason: 'mailboxfull', class: 'soft',
    raw: mfilter('amy@dest.example.jp', '552 5.2.2 <amy@dest.example.jp>... Mailbox full', 'RCPT TO') },
];
