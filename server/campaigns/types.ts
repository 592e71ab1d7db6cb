/*
 * The campaigns contract: campaign types and statuses, mass email statuses and the reasons a
 * target-list member is skipped. Adapters, repositories and the sender share these names.
 */

export const CAMPAIGN_TYPES = ['email', 'newsletter', 'informational'] as const;
export type CampaignType = (typeof CAMPAIGN_TYPES)[number];
export const CAMPAIGN_STATUSES = ['planning', 'active', 'inactive', 'complete'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** draft → pending → in_process → complete, or failed (with the reason), paused, cancelled. */
export const MASS_EMAIL_STATUSES = ['draft', 'pending', 'in_process', 'complete', 'failed', 'paused', 'cancelled'] as const;
export type MassEmailStatus = (typeof MASS_EMAIL_STATUSES)[number];
/** Statuses with no row in flight: nothing more goes out unless an operator moves rows again. */
export const FINAL_STATUSES: readonly MassEmailStatus[] = ['complete', 'cancelled', 'failed'];

/** Why a member of a target list gets no mail, in the order the expansion decides it. */
export const SKIP_REASONS = ['former_employee', 'no_address', 'list_opted_out', 'opted_out', 'excluded', 'blocked', 'duplicate'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface CampaignRow {
  id: number; name: string; type: CampaignType; status: CampaignStatus; start_date: number | null; end_date: number | null;
  description: string | null; created_by: number | null; created_at: number; updated_at: number;
  target_list_ids: number[]; excluding_target_list_ids: number[];
}

export interface MassEmailRow {
  id: number; campaign_id: number; name: string; status: MassEmailStatus; status_reason: string | null; start_at: number | null;
  template_id: number | null; account_id: number | null; from_addr: string; from_name: string; reply_to: string | null; tracking: boolean; track_links: boolean;
  message_id: number | null; checkpoint: string | null; expanded_at: number | null; started_at: number | null; completed_at: number | null;
  created_by: number | null; created_at: number; updated_at: number;
  target_list_ids: number[]; excluding_target_list_ids: number[];
}

/** Rows of a mass email by queue state, plus the members the expansion skipped. */
export interface MassEmailCounts {
  total: number; queued: number; sending: number; sent: number; deferred: number; failed: number; cancelled: number;
  skipped: number; skippedByReason: Record<string, number>;
}
