/*
 * Hand-written bounces, one or more per MTA / provider format that Sisimai decodes, shaped
 * after each format's markers (start-of-report line, recipient line, diagnostic, end
 * marker). Addresses and wording of the messages are our own; expectations are Sisimai's
 * reason and hard/soft class for that kind of failure. Used by formats.test.ts; more cases
 * in formats.mta.cases.ts, formats.vendor.cases.ts and formats.more.cases.ts.
 */
import { mail, original, type FormatCase } from './formats.make.js';
import { MTA_CASES } from './formats.mta.cases.js';
import { VENDOR_CASES } from './formats.vendor.cases.js';
import { MORE_CASES } from './formats.more.cases.js';

export type { FormatCase } from './formats.make.js';

const FIRST: FormatCase[] = [
  {
    format: 'ApacheJames', recipient: 'kuro@mobile.example.net', reason: 'filtered', class: 'soft',
    raw: mail(['From: postmaster@mobile.example.net', 'To: news@sender.example', 'Subject: [BOUNCE]', 'Message-ID: <11.22.JavaMail.root@mx.mobile.example.net>',
      'MIME-Version: 1.0', 'Content-Type: text/plain'], [
      'Error: Invalid user address', '', 'Error message below:', '550 - Requested action not taken: no such user here', '', 'Message details:',
      '  Subject: Spring sale', '  Sent date: Mon Mar 03 10:00:00 GMT 2025', '  MAIL FROM: news@sender.example', '  RCPT TO: kuro@mobile.example.net',
      '  From: news@sender.example', '  To: kuro@mobile.example.net', '  Size (in bytes): 512', '  Number of lines: 9']),
  },
  {
    format: 'EinsUndEins', recipient: 'hans@kunde.example.de', reason: 'mesgtoobig', class: 'soft',
    raw: mail(['From: "Mail Delivery System" <mailer-daemon@kundenserver.example.de>', 'To: news@sender.example', 'Subject: Mail delivery failed: returning message to sender',
      'Content-Type: text/plain; charset=utf-8'], [
      'This message was created automatically by mail delivery software.', '', 'A message that you sent could not be delivered to one or more of',
      'its recipients. This is a permanent error.', '', 'The following address failed:', '', 'hans@kunde.example.de', '', 'For the following reason:', '',
      'Mail size limit exceeded. For explanation visit', 'http://postmaster.1and1.example/en/error-messages?ip=%1s', '',
      '--- The header of the original message is following. ---', '', ...original('hans@kunde.example.de')]),
  },
  {
    format: 'X4', recipient: 'mia@host.example.com', reason: 'mailboxfull', class: 'soft',
    raw: mail(['From: MAILER-DAEMON@smtpd-07.example.net', 'To: news@sender.example', 'Subject: failure notice'], [
      'Your mail message to the following address(es) could not be delivered. This', 'is a permanent error. Please verify the addresses and try again.', '',
      '<mia@host.example.com>:', "child status 100...The e-mail message could not be delivered because the user's mailfolder is full.", '',
      '--- Below this line is a copy of the message.', '', ...original('mia@host.example.com')]),
  },
  {
    format: 'X6', recipient: 'ops@loop.example.org', reason: 'networkerror', class: 'soft',
    raw: mail(['From: mailer-daemon', 'To: news@sender.example', 'Subject: There was an error sending your mail', 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="x6"'], [
      '--x6', 'Content-Type: text/plain', '', 'We had trouble delivering your message. Full details follow:', '', "Subject: 'Spring sale'",
      "Date: 'Mon, 3 Mar 2025 10:00:00 +0000'", '', '1 error(s):', '',
      'The following recipients returned permanent errors: ops@loop.example.org. Reason: SMTP Server <192.0.2.40> refused to accept your message (DATA), with the following error message: [554 5.4.6 Hop count exceeded - possible mail loop]',
      '', 'The attachment contains the original mail headers. Please verify recipient(s) mail addresses and try resending this message.', '',
      '--x6', 'Content-Type: text/plain; name="mailheaders.txt"', 'Content-Disposition: attachment; filename="mailheaders.txt"', '', ...original('ops@loop.example.org'), '--x6--']),
  },
  {
    format: 'X6', recipient: 'lee@mta2.example.jp', reason: 'userunknown', class: 'hard',
    raw: mail(['From: mailer-daemon', 'To: news@sender.example', 'Subject: There was an error sending your mail'], [
      'We had trouble delivering your message. Full details follow:', '', "Subject: 'Spring sale'", '', '1 error(s):', '',
      'SMTP Server <mta2.example.jp> rejected recipient <lee@mta2.example.jp> (Error following RCPT command). It responded as follows: [550 5.1.1 User unknown]',
      '', 'The attachment contains the original mail headers.']),
  },
  {
    format: 'MailFoundry', recipient: 'sam@dest.example.org', reason: 'filtered', class: 'soft',
    raw: mail(['From: MAILER-DAEMON@relay.example.org', 'To: news@sender.example', 'Subject: Message delivery has failed', 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="mf"'], [
      '--mf', 'Content-Type: text/plain', '', 'Unable to deliver message to: <sam@dest.example.org>', 'Delivery failed for the following reason:',
      'Server mx9.dest.example.org[192.0.2.9] failed with: 550 <sam@dest.example.org> No such user here', '',
      'This has been a permanent failure.  No further delivery attempts will be made.', '', '--mf', 'Content-Type: message/rfc822', '', ...original('sam@dest.example.org'), '--mf--']),
  },
  {
    format: 'MailFoundry', recipient: 'full@dest.example.org', reason: 'mailboxfull', class: 'soft',
    raw: mail(['From: MAILER-DAEMON@relay.example.org', 'To: news@sender.example', 'Subject: Message delivery has failed'], [
      'Unable to deliver message to: <full@dest.example.org>', 'Delivery failed for the following reason:',
      'Server mx9.dest.example.org[192.0.2.9] failed with: 552 5.1.1 <full@dest.example.org>... Mailbox Full', '',
      'This has been a permanent failure.  No further delivery attempts will be made.']),
  },
  {
    format: 'Activehunter', recipient: 'tama@dest.example.org', reason: 'userunknown', class: 'hard',
    raw: mail(['From: "MAILER-DAEMON" <MAILER-DAEMON@dest.example.org>', 'To: <news@sender.example>', 'Subject: FAILURE NOTICE : Spring sale',
      'X-AHMAILID: 20250303T100000+0900-0000-0000D0-AAA-FF', 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="ah"'], [
      '--ah', 'Content-Type: text/plain', '', 'The original message was received at Mon, 3 Mar 2025 10:00:00 +0900', 'from sender.example', '',
      '  ----- The following addresses had permanent fatal errors -----', '', '>>> tama@dest.example.org <tama@dest.example.org>', '',
      '  ----- Transcript of session follows -----', '550 sorry, no mailbox here by that name (#5.1.1 - chkusr)', '', '--ah', 'Content-type: message/rfc822', '',
      ...original('tama@dest.example.org'), '--ah--']),
  },
  {
    format: 'Domino', recipient: 'ken@corp.example.jp', reason: 'userunknown', class: 'hard',
    raw: mail(['From: Postmaster@corp.example.jp', 'To: Sender <news@sender.example>', 'Subject: DELIVERY FAILURE: User Ken (ken@corp.example.jp) not listed in Domino Directory',
      'Content-Type: Text/Plain'], [
      'Your message', '', '  Subject: Spring sale', '', 'was not delivered to:', '', '  ken@corp.example.jp', '', 'because:', '',
      '  User Ken (ken@corp.example.jp) not listed in Domino Directory', '']),
  },
  {
    format: 'FML', recipient: 'team-ml@lists.example.org', reason: 'rejected', class: 'soft',
    raw: mail(['From: team-ml-admin@lists.example.org', 'To: news@sender.example', 'Subject: Rejected: Spring sale', 'Message-Id: <202503031000.FMLAAB1234.team-ml@lists.example.org>',
      'X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]', 'Content-Type: text/plain'], [
      'You are not a member of this mailing list <team-ml@lists.example.org>.', '', 'If you know the general guide of this list, please send mail with the mail body',
      '', 'Original mail as follows:', '', ...original('team-ml@lists.example.org').map((l) => `   ${l}`)]),
  },
  {
    format: 'PowerMTA', recipient: 'nora@dest.example.jp', reason: 'userunknown', class: 'hard',
    raw: mail(['From: postmaster@mta22.sender.example', 'Subject: Delivery report', 'To: bounce-1-2-nora=dest.example.jp@mta22.sender.example', 'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="pm"'], [
      '--pm', '', 'Hello, this is the mail server on mta22.sender.example.', '', '  <nora@dest.example.jp>  delivery failed; will not continue trying', '',
      '--pm', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns;mta22.sender.example', 'X-PowerMTA-VirtualMTA: mta22', '',
      'Final-Recipient: rfc822;nora@dest.example.jp', 'Action: failed', 'Status: 5.2.1 (mailbox disabled, not accepting messages)', 'Remote-MTA: dns;mx.dest.example.jp (192.0.2.135)',
      'Diagnostic-Code: smtp;550 5.2.1 <nora@dest.example.jp>... User Unknown', 'X-PowerMTA-BounceCategory: bad-mailbox', '', '--pm--']),
  },
  {
    format: 'Verizon', recipient: '5551234567@vtext.com', reason: 'userunknown', class: 'hard',
    raw: mail(['From: post_master@vtext.com', 'To: news@sender.example', 'Subject: Re: Spring sale', 'Message-ID: <1.2.JavaMail.c@vtext.com>', 'Content-Type: text/plain'], [
      'Error: Invalid user address', '', 'Error message below:', '550 - Requested action not taken: no such user here', '', 'Message details:',
      '  Subject: Spring sale', '  Sent date: Mon Mar 03 10:00:00 GMT 2025', '  MAIL FROM: news@sender.example', '  RCPT TO: 5551234567@vtext.com',
      '  From: news@sender.example', '  Size (in bytes): 512']),
  },
  {
    format: 'Notes', recipient: 'taro@notes.example.jp', reason: 'userunknown', class: 'hard',
    raw: mail(['From: Mail Router <postmaster@notes.example.jp>', 'To: news@sender.example', 'Subject: Undeliverable message', 'Content-Type: text/plain'], [
      '------- Failure Reasons  --------', '', 'User not listed in public Name & Address Book', 'taro@notes.example.jp', '',
      '------- Returned Message --------', ...original('taro@notes.example.jp')]),
  },
  {
    format: 'McAfee', recipient: 'bob@corp.example.com', reason: 'userunknown', class: 'hard',
    raw: mail(['From: postmaster@gw.corp.example.com', 'To: news@sender.example', 'Subject: Delivery Status', 'X-NAI-Header: Modified by McAfee Email and Web Security Virtual Appliance',
      'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="nai"'], [
      '--nai', 'Content-Type: text/plain; name="deliveryproblems.txt"', '', '    --- The following addresses had delivery problems ---', '',
      '<bob@corp.example.com>   (User unknown bob@corp.example.com)', '', '--nai', 'Content-Type: message/delivery-status; name="deliverystatus.txt"', '',
      'Reporting-MTA: dns; gw.corp.example.com', '', 'Final-Recipient: RFC822; <bob@corp.example.com>', 'Action: failed', 'Status: 5.0.0', '',
      '--nai', 'Content-Type: message/rfc822', '', ...original('bob@corp.example.com'), '--nai--']),
  },
  {
    format: 'TrendMicro', recipient: 'yuki@dest.example.co.jp', reason: 'userunknown', class: 'hard',
    raw: mail(['From: "InterScan MSS" <postmaster@gw.dest.example.co.jp>', 'To: news@sender.example', 'Subject: Mail could not be delivered', 'Content-Type: text/plain'], [
      'This message is from the InterScan Messaging Security Suite at gw.dest.example.co.jp.', '',
      'Unable to deliver message to <yuki@dest.example.co.jp>.', '', 'Sent <<< RCPT TO:<yuki@dest.example.co.jp>',
      'Received >>> 550 5.1.1 <yuki@dest.example.co.jp>... user unknown', '']),
  },
  {
    format: 'MailMarshalSMTP', recipient: 'carla@dest.example.com', reason: 'userunknown', class: 'hard',
    raw: mail(['From: postmaster@relay.dest.example.com', 'To: news@sender.example', 'Subject: Undeliverable Mail: "Spring sale"', 'Content-Type: text/plain'], [
      'Your message:', '   From:    news@sender.example', '   Subject: Spring sale', '', 'Could not be delivered because of', '', '550 5.1.1 User unknown', '',
      'The following recipients were affected:', '    carla@dest.example.com', '', 'Additional Information', '======================',
      'Original Sender:    <news@sender.example>', 'Sender-MTA:         <192.0.2.11>', 'Remote-MTA:         <192.0.2.12>', 'Reporting-MTA:      <relay.dest.example.com>',
      'MessageName:        <B549996730000.000000000001.0003.mml>']),
  },
  {
    format: 'X1', recipient: 'kai@dest.example.co.jp', reason: 'filtered', class: 'soft',
    raw: mail(['From: "Mail Deliver System" <MAILER-DAEMON@mx.dest.example.co.jp>', 'To: news@sender.example', 'Subject: Returned Mail: User unknown'], [
      'The original message was received at Mon, 3 Mar 2025 10:00:00 +0900 (JST)', 'from news@sender.example', '',
      '---The following addresses had delivery errors---', '', 'kai@dest.example.co.jp [User unknown]', '', ...original('kai@dest.example.co.jp')]),
  },
  {
    format: 'Biglobe', recipient: 'hana@aaa.biglobe.ne.jp', reason: 'mailboxfull', class: 'soft',
    raw: mail(['From: postmaster@biglobe.ne.jp', 'To: news@sender.example', 'Subject: Returned mail: Delivery failed', 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="--_Biglobe000000/00000.biglobe.ne.jp"'], [
      '----_Biglobe000000/00000.biglobe.ne.jp', 'Content-Type: text/plain; charset="iso-2022-jp"', '', '   ----- The following addresses had delivery problems -----',
      'hana@aaa.biglobe.ne.jp', '', '   ----- Non-delivered information -----', "The number of messages in recipient's mailbox exceeded the local limit.", '',
      '----_Biglobe000000/00000.biglobe.ne.jp', 'Content-Type: message/rfc822', '', ...original('hana@aaa.biglobe.ne.jp'), '----_Biglobe000000/00000.biglobe.ne.jp--']),
  },
];

/** Every format case: the first set above, plain-text MTA reports, providers and gateways, and more. */
export const CASES: FormatCase[] = [...FIRST, ...MTA_CASES, ...VENDOR_CASES, ...MORE_CASES];
