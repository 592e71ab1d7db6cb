/*
 * Helpers for the hand-written format cases (formats*.cases.ts): a message from header lines
 * and a body, and the returned original as most text formats quote it.
 */
export interface FormatCase { format: string; raw: string; recipient: string; reason: string; class: 'hard' | 'soft'; count?: number; status?: string }

/** A message from header lines and a body (LF line ends; the parser takes either). */
export const mail = (headers: string[], body: string[]) => [...headers, '', ...body, ''].join('\n');
/** The returned original, as most text formats quote it. */
export const original = (to: string) => ['Return-Path: <news@sender.example>', 'From: News <news@sender.example>', `To: ${to}`, 'Subject: Spring sale',
  'Message-ID: <a1b2c3@sender.example>', 'Date: Mon, 3 Mar 2025 10:00:00 +0000', '', 'Hello'];
/** A multipart body: each part is [content-type, lines]. */
export const parts = (boundary: string, ...list: Array<[string, string[]]>) => [...list.flatMap(([type, lines]) => [`--${boundary}`, `Content-Type: ${type}`, '', ...lines, '']), `--${boundary}--`];
