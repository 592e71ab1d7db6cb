/*
 * Hand-written plain-text reports of mail servers (Exim, qmail, Postfix, V5 sendmail, Courier,
 * OpenSMTPD, Exchange 2000-2003 and Office 365, IMail, Sun/Oracle Messaging Server, Domino),
 * several reasons each, shaped after the markers Sisimai's decoders read. Our own wording.
 */
import { mail, original, parts, type FormatCase } from './formats.make.js';

const exim = (rcpt: string, lines: string[], extra: string[] = []) => mail(['From: Mail Delivery System <Mailer-Daemon@mx1.sender.example>', 'To: news@sender.example',
  'Subject: Mail delivery failed: returning message to sender', `X-Failed-Recipients: ${rcpt}`, 'Auto-Submitted: auto-replied', ...extra], [
  'This message was created automatically by mail delivery software.', '', 'A message that you sent could not be delivered to one or more of its',
  'recipients. This is a permanent error. The following address(es) failed:', '', `  ${rcpt}`, ...lines.map((l) => `    ${l}`), '',
  '------ This is a copy of the message, including all the headers. ------', '', ...original(rcpt)]);

const qmail = (rcpt: string, lines: string[]) => mail(['From: MAILER-DAEMON@mail.sender.example', 'To: news@sender.example', 'Subject: failure notice'], [
  'Hi. This is the qmail-send program at mail.sender.example.', "I'm afraid I wasn't able to deliver your message to the following addresses.",
  "This is a permanent error; I've given up. Sorry it didn't work out.", '', `<${rcpt}>:`, ...lines, '', '--- Below this line is a copy of the message.', '', ...original(rcpt)]);

const postfix = (rcpt: string, lines: string[]) => mail(['From: MAILER-DAEMON@mx.sender.example (Mail Delivery System)', 'To: news@sender.example',
  'Subject: Undelivered Mail Returned to Sender', 'Auto-Submitted: auto-replied', 'Content-Type: text/plain; charset=us-ascii'], [
  'This is the mail system at host mx.sender.example.', '', "I'm sorry to have to inform you that your message could not", "be delivered to one or more recipients. It's attached below.",
  '', 'For further assistance, please send mail to postmaster.', '', 'If you do so, please include this problem report. You can',
  'delete your own text from the attached returned message.', '', '                   The mail system', '', `<${rcpt}>: ${lines[0]}`, ...lines.slice(1).map((l) => `    ${l}`),
  '', '--- Original message follows.', '', ...original(rcpt)]);

const v5 = (subject: string, lines: string[], to: string) => mail(['From: Mail Delivery Subsystem <MAILER-DAEMON@relay.sender.example>', 'To: news@sender.example',
  `Subject: Returned mail: ${subject}`], ['   ----- Transcript of session follows -----', ...lines, '', '   ----- Unsent message follows -----', ...original(to)]);

const courier = (rcpt: string, lines: string[]) => mail(['From: Courier mail server at mx.dest.example.org <@>', 'To: news@sender.example',
  'Subject: NOTICE: mail delivery status.', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="=_courier-1"'], parts('=_courier-1',
  ['text/plain; charset=us-ascii', ['This is a delivery status notification from mx.dest.example.org,', 'running the Courier mail server, version 1.1.4.', '',
    'The original message was received on Mon, 03 Mar 2025 10:00:00 +0900', 'from sender.example [192.0.2.5]', '',
    '---------------------------------------------------------------------------', '', '                           UNDELIVERABLE MAIL', '',
    'Your message to the following recipients cannot be delivered:', '', `<${rcpt}>:`, ...lines, '',
    '---------------------------------------------------------------------------', '', 'If your message was also sent to additional recipients, their delivery']],
  ['message/rfc822', original(rcpt)]));

const opensmtpd = (lines: string[], to: string) => mail(['From: Mailer Daemon <MAILER-DAEMON@mx.sender.example>', 'To: news@sender.example',
  'Subject: Delivery status notification: error', 'Received: from localhost (mx.sender.example [local]) by mx.sender.example (OpenSMTPD) with ESMTPA id 1a2b3c4d'], [
  '    Hi!', '', '    This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.', '', '    An error has occurred while attempting to deliver a message for',
  '    the following list of recipients:', '', ...lines, '', '    Below is a copy of the original message:', '', ...original(to)]);

const exchange2003 = (rcpt: string, lines: string[]) => mail(['From: System Administrator <postmaster@corp.example.com>', 'To: news@sender.example',
  'Subject: Undeliverable: Spring sale', 'X-MS-Embedded-Report: ', 'X-Mailer: Internet Mail Service (5.5.2653.19)', 'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="----_=_NextPart_000_01C0"'], parts('----_=_NextPart_000_01C0', ['text/plain', ['Your message', '',
  '  To:      Bob <' + rcpt + '>', '  Subject: Spring sale', '  Sent:    Mon, 3 Mar 2025 10:00:00 +0000', '', 'did not reach the following recipient(s):', '',
  `${rcpt} on Mon, 3 Mar 2025 10:00:05 +0000`, ...lines.map((l) => `    ${l}`)]], ['message/rfc822', original(rcpt)]));

/** Exchange 2000/2003 "did not reach some or all of the intended recipients" (X-MimeOLE, no DSN part). */
const exchangeSome = (rcpt: string, lines: string[]) => mail(['From: System Administrator <postmaster@corp.example.com>', 'To: news@sender.example',
  'Subject: Undeliverable: Spring sale', 'X-MimeOLE: Produced By Microsoft Exchange V6.5', 'Content-Type: text/plain; charset="iso-8859-1"'], [
  'Your message did not reach some or all of the intended recipients.', '', '      Subject:\tSpring sale', '      Sent:\t3/3/2025 10:00 AM', '',
  'The following recipient(s) cannot be reached:', '', `      ${rcpt} on 3/3/2025 10:00 AM`, ...lines.map((l) => `            ${l}`)]);

/** Office 365 / Exchange Online NDR as text only: the friendly part, then 'Remote Server returned'. */
const office365 = (rcpt: string, friendly: string, returned: string) => mail(['From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@corp.example.onmicrosoft.com>',
  'To: news@sender.example', 'Subject: Undeliverable: Spring sale', 'X-MS-Exchange-Message-Is-Ndr: ', 'Content-Language: en-US', 'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="_o365_"'], parts('_o365_', ['text/plain; charset="us-ascii"', ['Delivery has failed to these recipients or groups:', '',
  `${rcpt}<mailto:${rcpt}>`, friendly, '', '', '', '', 'Diagnostic information for administrators:', '', 'Generating server: AM6PR01MB1234.eurprd01.prod.outlook.com', '',
  rcpt, `Remote Server returned '${returned}'`, '', 'Original message headers:', '', 'Received: from AM6PR01MB1234.eurprd01.prod.outlook.com', ' by AM6PR01MB1234.eurprd01.prod.outlook.com']],
  ['message/rfc822', original(rcpt)]));

const imail = (lines: string[], to: string) => mail(['From: Postmaster <postmaster@imail.dest.example.com>', 'To: news@sender.example', 'Subject: Undeliverable Mail',
  'X-Mailer: <SMTP32 v8.22>', 'Content-Type: text/plain'], [...lines, '', 'Original message follows.', '', ...original(to)]);

const messaging = (rcpt: string, lines: string[], status?: string) => mail(['From: Internet Mail Delivery <postmaster@ims.dest.example.com>', 'To: news@sender.example',
  'Subject: Delivery Notification: Delivery has failed', 'MIME-version: 1.0', 'Content-type: multipart/report; report-type=delivery-status; boundary="Boundary_(ID_1a2b3c4d)"'], [
  '--Boundary_(ID_1a2b3c4d)', 'Content-type: text/plain; charset=us-ascii', 'Content-language: en-US', '',
  'This report relates to a message you sent with the following header fields:', '', '  Message-id: <a1b2c3@sender.example>', '  Date: Mon, 03 Mar 2025 10:00:00 +0000',
  '  From: News <news@sender.example>', `  To: ${rcpt}`, '  Subject: Spring sale', '', 'Your message cannot be delivered to the following recipients:', '',
  `  Recipient address: ${rcpt}`, ...lines.map((l) => `  ${l}`), '',
  ...(status ? ['--Boundary_(ID_1a2b3c4d)', 'Content-type: message/delivery-status', '', 'Reporting-MTA: dns;ims.dest.example.com (tcp-daemon)', '',
    `Original-recipient: rfc822;${rcpt}`, `Final-recipient: rfc822;${rcpt}`, 'Action: failed', `Status: ${status} (${lines[0]!.replace(/^Reason: /, '')})`, ''] : []),
  '--Boundary_(ID_1a2b3c4d)', 'Content-type: message/rfc822', '', ...original(rcpt), '--Boundary_(ID_1a2b3c4d)--']);

const domino = (subject: string, rcpt: string, because: string[]) => mail(['From: Postmaster@corp.example.com', 'To: news@sender.example', `Subject: ${subject}`,
  'X-Mailer: Lotus Domino Release 8.5.3FP6', 'Content-Type: text/plain; charset=UTF-8'], ['Your message', '', '  Subject: Spring sale', '', 'was not delivered to:', '',
  `  ${rcpt}`, '', 'because:', '', ...because.map((l) => `  ${l}`), '']);

export const MTA_CASES: FormatCase[] = [
  // Exim: the address, indented, then its error lines (Sisimai Lhost::Exim).
  { format: 'Exim', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', status: '5.1.1',
    raw: exim('bob@dest.example.com', ['host mx.dest.example.com [192.0.2.25]', 'SMTP error from remote mail server after RCPT TO:<bob@dest.example.com>:',
      '550 5.1.1 <bob@dest.example.com>: Recipient address rejected: User unknown in virtual mailbox table']) },
  { format: 'Exim', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft',
    raw: exim('amy@dest.example.com', ['host mx.dest.example.com [192.0.2.25]', 'SMTP error from remote mail server after RCPT TO:<amy@dest.example.com>:',
      '552 5.2.2 <amy@dest.example.com>: Mailbox full, quota exceeded']) },
  { format: 'Exim', recipient: 'amy@local.sender.example', reason: 'mailboxfull', class: 'soft',
    raw: exim('amy@local.sender.example', ['mailbox is full: retry timeout exceeded']) },
  { format: 'Exim', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard',
    raw: exim('joe@nowhere.example', ['Unrouteable address']) },
  { format: 'Exim', recipient: 'kim@stale.example.org', reason: 'hostunknown', class: 'hard',
    raw: exim('kim@stale.example.org', ['all relevant MX records point to non-existent hosts']) },
  { format: 'Exim', recipient: 'lou@slow.example.org', reason: 'expired', class: 'soft',
    raw: exim('lou@slow.example.org', ['retry timeout exceeded']) },
  { format: 'Exim', recipient: 'max@dest.example.com', reason: 'spamdetected', class: 'soft', status: '5.7.1',
    raw: exim('max@dest.example.com', ['host mx.dest.example.com [192.0.2.25]', 'SMTP error from remote mail server after end of data:',
      '550 5.7.1 Message rejected as spam by Content Filtering.']) },
  { format: 'Exim', recipient: 'ned@dest.example.com', reason: 'blocked', class: 'soft',
    raw: exim('ned@dest.example.com', ['host mx.dest.example.com [192.0.2.25]', 'SMTP error from remote mail server after initial connection:',
      '554 mx.dest.example.com ESMTP not accepting messages from 203.0.113.7: listed at zen.spamhaus.org']) },

  // qmail: "<address>:" then the remote host's words (Sisimai Lhost::qmail).
  { format: 'qmail', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard',
    raw: qmail('bob@dest.example.com', ['192.0.2.25 does not like recipient.', 'Remote host said: 550 5.1.1 <bob@dest.example.com>... User unknown', 'Giving up on 192.0.2.25.']) },
  { format: 'qmail', recipient: 'pat@sender.example', reason: 'userunknown', class: 'hard',
    raw: qmail('pat@sender.example', ['Sorry, no mailbox here by that name. (#5.1.1)']) },
  { format: 'qmail', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft',
    raw: qmail('amy@dest.example.com', ['192.0.2.25 does not like recipient.', 'Remote host said: 552 5.2.2 <amy@dest.example.com>: Mailbox full', 'Giving up on 192.0.2.25.']) },
  { format: 'qmail', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard',
    raw: qmail('joe@nowhere.example', ["Sorry, I couldn't find any host named nowhere.example. (#5.1.2)"]) },
  { format: 'qmail', recipient: 'lou@slow.example.org', reason: 'expired', class: 'soft',
    raw: qmail('lou@slow.example.org', ["I'm not going to try again; this message has been in the queue too long."]) },
  { format: 'qmail', recipient: 'max@dest.example.com', reason: 'spamdetected', class: 'soft',
    raw: qmail('max@dest.example.com', ['192.0.2.25 failed after I sent the message.', 'Remote host said: 554 5.7.1 This message has been identified as spam.']) },

  // Postfix without a DSN part: "<address>: host … said: …" with indented continuations.
  { format: 'Postfix', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', status: '5.1.1',
    raw: postfix('bob@dest.example.com', ['host mx.dest.example.com[192.0.2.25] said: 550 5.1.1', '<bob@dest.example.com>: Recipient address rejected: User unknown in virtual',
      'mailbox table (in reply to RCPT TO command)']) },
  { format: 'Postfix', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft',
    raw: postfix('amy@dest.example.com', ['host mx.dest.example.com[192.0.2.25] said: 552 5.2.2', '<amy@dest.example.com>: Mailbox full (in reply to RCPT TO command)']) },
  { format: 'Postfix', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard',
    raw: postfix('joe@nowhere.example', ['Host or domain name not found. Name service error for', 'name=nowhere.example type=MX: Host not found, try again']) },
  { format: 'Postfix', recipient: 'max@dest.example.com', reason: 'spamdetected', class: 'soft',
    raw: postfix('max@dest.example.com', ['host mx.dest.example.com[192.0.2.25] said: 550 5.7.1', 'Message rejected as spam (in reply to end of DATA command)']) },
  // Local delivery without a status code or SMTP command: Sisimai's Filtered takes the user-unknown words.
  { format: 'Postfix', recipient: 'pat@sender.example', reason: 'filtered', class: 'soft',
    raw: postfix('pat@sender.example', ['unknown user: "pat"']) },

  // Sendmail 5: only a transcript; the recipient is on the reply line or in the original's To.
  { format: 'V5sendmail', recipient: 'bob@dest.example.org', reason: 'userunknown', class: 'hard',
    raw: v5('User unknown', ['While talking to mx.dest.example.org:', '>>> RCPT To:<bob@dest.example.org>', '<<< 550 <bob@dest.example.org>... User unknown',
      '550 <bob@dest.example.org>... User unknown'], 'bob@dest.example.org') },
  { format: 'V5sendmail', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard',
    raw: v5('Host unknown (Name server: nowhere.example: host not found)', ['550 <joe@nowhere.example>... Host unknown (Name server: nowhere.example: host not found)'],
      'joe@nowhere.example') },
  { format: 'V5sendmail', recipient: 'lou@slow.example.org', reason: 'expired', class: 'soft',
    raw: v5('Cannot send message for 5 days', ['421 slow.example.org (smtp)... Deferred: Connection timed out during user open with slow.example.org',
      "Message could not be delivered for 5 days", 'Message will be deleted from queue'], 'Lou <lou@slow.example.org>') },

  // Courier: "<address>:", the host, then the >>> / <<< transcript.
  { format: 'Courier', recipient: 'bob@dest.example.org', reason: 'userunknown', class: 'hard',
    raw: courier('bob@dest.example.org', ['    mx.dest.example.org [192.0.2.25]:', '>>> RCPT TO:<bob@dest.example.org>', '<<< 550 5.1.1 <bob@dest.example.org>... User Unknown']) },
  { format: 'Courier', recipient: 'amy@dest.example.org', reason: 'mailboxfull', class: 'soft',
    raw: courier('amy@dest.example.org', ['    mx.dest.example.org [192.0.2.25]:', '>>> RCPT TO:<amy@dest.example.org>', '<<< 552 5.2.2 <amy@dest.example.org>... Mailbox full']) },
  { format: 'Courier', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard',
    raw: courier('joe@nowhere.example', ['    No such domain.']) },

  // OpenSMTPD: "address: error" lines after the MAILER-DAEMON notice.
  { format: 'OpenSMTPD', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard',
    raw: opensmtpd(['bob@dest.example.com: 550 5.1.1 <bob@dest.example.com>: Recipient address rejected: User unknown in local recipient table'], 'bob@dest.example.com') },
  { format: 'OpenSMTPD', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft',
    raw: opensmtpd(['amy@dest.example.com: 552 5.2.2 <amy@dest.example.com>... Mailbox Full'], 'amy@dest.example.com') },
  { format: 'OpenSMTPD', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard',
    raw: opensmtpd(['joe@nowhere.example: Domain does not exist'], 'joe@nowhere.example') },
  { format: 'OpenSMTPD', recipient: 'cy@dest.example.com', reason: 'networkerror', class: 'soft',
    raw: opensmtpd(['cy@dest.example.com: Network error on destination MXs'], 'cy@dest.example.com') },

  // Exchange 5.5-2003: "address on date" then MSEXCH diagnostics (Sisimai Lhost::Exchange2003).
  { format: 'Exchange2003', recipient: 'bob@corp.example.com', reason: 'userunknown', class: 'hard',
    raw: exchange2003('bob@corp.example.com', ['The recipient name is not recognized', '\tThe MTS-ID of the original message is: c=us;a= ;p=corp;l=EXCH01-250303100000Z-1',
      '    MSEXCH:IMS:Corp:Example:EXCH01 0 (000C05A6) Unknown Recipient']) },
  { format: 'Exchange2003', recipient: 'bob@corp.example.com', reason: 'userunknown', class: 'hard', status: '5.1.1',
    raw: exchangeSome('bob@corp.example.com', ['The e-mail account does not exist at the organization this message was sent to.  Check the e-mail address, or contact the recipient directly to find out the correct address.',
      '<mail.corp.example.com #5.1.1>']) },
  { format: 'Exchange2003', recipient: 'amy@corp.example.com', reason: 'mailboxfull', class: 'soft', status: '5.2.2',
    raw: exchangeSome('amy@corp.example.com', ["The recipient's mailbox is full and can't accept messages now. Please try resending this message later, or contact the recipient directly.",
      '<mail.corp.example.com #5.2.2>']) },

  // Office 365: "Remote Server returned '<reply>'" under the diagnostic information.
  { format: 'Office365', recipient: 'bob@dest.example.com', reason: 'userunknown', class: 'hard', status: '5.1.10',
    raw: office365('bob@dest.example.com', "The email address you entered couldn't be found. Please check the recipient's email address and try to send the message again.",
      '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup') },
  { format: 'Office365', recipient: 'amy@dest.example.com', reason: 'mailboxfull', class: 'soft', status: '5.2.2',
    raw: office365('amy@dest.example.com', "The recipient's mailbox is full and can't accept messages now.",
      '554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception') },
  { format: 'Office365', recipient: 'ann@other.example.net', reason: 'hostunknown', class: 'hard', status: '5.4.4',
    raw: office365('ann@other.example.net', "The domain you attempted to contact doesn't exist.", '554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain') },

  // IMail: "Reason: address" lines before "Original message follows." (Sisimai Lhost::IMailServer).
  { format: 'IMailServer', recipient: 'bob@imail.dest.example.com', reason: 'userunknown', class: 'hard',
    raw: imail(['Unknown user: bob@imail.dest.example.com'], 'bob@imail.dest.example.com') },
  { format: 'IMailServer', recipient: 'amy@imail.dest.example.com', reason: 'mailboxfull', class: 'soft',
    raw: imail(['User mailbox exceeds allowed size: amy@imail.dest.example.com'], 'amy@imail.dest.example.com') },
  { format: 'IMailServer', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard',
    raw: imail(['Unknown host: joe@nowhere.example'], 'joe@nowhere.example') },
  { format: 'IMailServer', recipient: 'lou@slow.example.org', reason: 'expired', class: 'soft',
    raw: imail(['Delivery failed 5 attempts: lou@slow.example.org'], 'lou@slow.example.org') },

  // Sun / Oracle Messaging Server: "Recipient address:", "Reason:", "Diagnostic code:", "Remote system:".
  { format: 'MessagingServer', recipient: 'bob@dest.example.jp', reason: 'userunknown', class: 'hard', status: '5.1.1',
    raw: messaging('bob@dest.example.jp', ['Reason: Remote SMTP server has rejected address', 'Diagnostic code: smtp;550 5.1.1 <bob@dest.example.jp>... User Unknown',
      'Remote system: dns;mx.dest.example.jp (TCP|192.0.2.9|47323|192.0.2.25|25) (mx.dest.example.jp ESMTP)']) },
  { format: 'MessagingServer', recipient: 'amy@dest.example.jp', reason: 'mailboxfull', class: 'soft', status: '5.2.2',
    raw: messaging('amy@dest.example.jp', ['Reason: Remote SMTP server has rejected address', 'Diagnostic code: smtp;552 5.2.2 <amy@dest.example.jp>... Mailbox full',
      'Remote system: dns;mx.dest.example.jp (TCP|192.0.2.9|47323|192.0.2.25|25) (mx.dest.example.jp ESMTP)']) },
  { format: 'MessagingServer', recipient: 'joe@nowhere.example', reason: 'hostunknown', class: 'hard',
    raw: messaging('joe@nowhere.example', ['Reason: Illegal host/domain name found'], '5.1.2') },

  // Domino: "was not delivered to:" the address, "because:" the reason (Sisimai Lhost::Domino).
  { format: 'Domino', recipient: 'eve@corp.example.fr', reason: 'userunknown', class: 'hard',
    raw: domino('DELIVERY FAILURE: Utilisateur eve@corp.example.fr non répertorié', 'eve@corp.example.fr', ["Utilisateur eve@corp.example.fr non répertorié dans l'annuaire Domino"]) },
  { format: 'Domino', recipient: 'ian@corp.example.com', reason: 'filtered', class: 'soft',
    raw: domino('DELIVERY FAILURE: Cannot route mail to user', 'ian@corp.example.com', ['Cannot route mail to user (ian@corp.example.com).']) },
  // Sisimai's NotAccept wording ("SMTP Protocol Returned a Permanent Error") vetoes the 5.1.1, and with
  // no SMTP command Filtered takes the user-unknown words.
  { format: 'Domino', recipient: 'bob@dest.example.com', reason: 'filtered', class: 'soft',
    raw: domino('DELIVERY FAILURE: Error transferring to MX.DEST.EXAMPLE.COM; SMTP Protocol Returned a Permanent Error 550 5.1.1 User unknown', 'bob@dest.example.com',
      ['Error transferring to MX.DEST.EXAMPLE.COM; SMTP Protocol Returned a Permanent Error 550 5.1.1 <bob@dest.example.com>... User unknown']) },
  { format: 'Domino', recipient: 'jo@corp.example.com', reason: 'systemerror', class: 'soft',
    raw: domino('DELIVERY FAILURE: Several matches found in Domino Directory', 'jo@corp.example.com', ['Several matches found in Domino Directory.']) },
];
