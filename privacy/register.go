package privacy

// Retention rules used below.
const (
	lifetime  = "account lifetime"
	untilGone = "until erased"
	// Accounting records (ledger, payments, refunds): French commercial code art. L123-22.
	legal10y  = "legal 10 years"
	permanent = "permanent (reference data)"
	expiry    = "until expiry (purged after)"
	session   = "login session lifetime (SESSION_MAX_AGE)"
	derived   = "derived; rebuilt from its sources"
	// Moderation evidence: the case, its reports with their snapshots, staff notes; deleted a year
	// after the decision (MODERATION_EVIDENCE_RETENTION), except a case a sanction cites.
	moderationEvidence = "until 1 year after the decision (MODERATION_EVIDENCE_RETENTION); a case a sanction cites stays with it"
	// Sanctions and appeals: the record of measures taken against a member (a ban must be
	// remembered to be enforced); no period is set yet, erasure pseudonymises them.
	sanctionRecord = "while the account exists and after it, pseudonymous (no period set yet)"
	// Push: a device until unregistered, replaced (PUSH_MAX_DEVICES), reported gone by Expo or
	// erased; a push until sent (a day at most); a ticket until its receipt is read (two days at most).
	pushDevice  = "until unregistered, replaced, gone at Expo or erased"
	pushWaiting = "until sent (a day at most)"
	pushTicket  = "until its receipt is read (two days at most)"
	// An address that refused a notification email permanently: until the member changes it.
	emailSuppressed = "until the member's address changes or the account is erased"
	// NPS answers and dismissals: deleted by the retention rule (NPS_RETENTION).
	npsAnswers = "2 years (NPS_RETENTION)"
)

func np(retention string) Column {
	return Column{Class: NotPersonal, Retention: retention, Erasure: Keep}
}
func pseudo(retention string) Column {
	return Column{Class: Pseudonymous, Retention: retention, Erasure: KeepPseudonymous}
}
func gone(class Class, retention string) Column {
	return Column{Class: class, Retention: retention, Erasure: DeleteRow}
}
func null(class Class, retention string) Column {
	return Column{Class: class, Retention: retention, Erasure: Null}
}
func anon(class Class, retention, to string) Column {
	return Column{Class: class, Retention: retention, Erasure: Anonymise, AnonymisedTo: to}
}

// register classifies every column of every table in migrations/. A new column is added here in
// the same change as its migration (the register test fails otherwise).
var register = map[string]Table{
	// Accounts and sign-in.
	"users": {Rows: "id is the member", Columns: map[string]Column{
		"id":                    pseudo("kept after erasure: the pseudonym others' rows point to"),
		"email":                 anon(Contact, untilGone, "erased-<random>@erased.invalid (unique, unrelated to the person)"),
		"password_hash":         anon(Identity, untilGone, "'' (no password: sign-in impossible)"),
		"display_name":          anon(Identity, untilGone, "'Deleted member'"),
		"roles":                 anon(Identity, untilGone, "{MEMBER}"),
		"status":                anon(Identity, untilGone, "ERASED"),
		"created_at":            np(lifetime),
		"updated_at":            np(lifetime),
		"email_verified_at":     null(Identity, untilGone),
		"locale":                anon(Identity, untilGone, "'en'"),
		"deletion_scheduled_at": null(Identity, "until erased or cancelled"),
		"deletion_reason":       null(Content, "until erased or cancelled"),
		"erased_at":             np("kept: when the erasure ran"),
		// The versions of the terms and privacy policy last accepted: document versions.
		"terms_version":     np(lifetime),
		"privacy_version":   np(lifetime),
		"marketing_consent": anon(Identity, untilGone, "false"),
	}},
	"email_changes": {Rows: "user_id", Columns: map[string]Column{
		"id": gone(Contact, "until the undo window ends"), "user_id": gone(Contact, "until the undo window ends"),
		"old_email": gone(Contact, "until the undo window ends"), "old_verified": gone(Contact, "until the undo window ends"),
		"new_email": gone(Contact, "until the undo window ends"), "requested_at": gone(Contact, "until the undo window ends"),
		"expires_at": gone(Contact, "until the undo window ends"), "confirmed_at": gone(Contact, "until the undo window ends"),
		"undo_until": gone(Contact, "until the undo window ends"), "undone_at": gone(Contact, "until the undo window ends"),
	}},
	"sign_in_events": {Rows: "user_id", Columns: map[string]Column{
		"id": gone(Technical, "90 days"), "user_id": gone(Technical, "90 days"), "at": gone(Technical, "90 days"),
		"method": gone(Technical, "90 days"), "succeeded": gone(Technical, "90 days"),
		"failure_reason": gone(Technical, "90 days"), "ip": gone(Technical, "90 days"), "user_agent": gone(Technical, "90 days"),
	}},
	// Proof that processing was consented to: kept under the pseudonym (art. 7(1) asks the
	// controller to be able to demonstrate consent), the address it came from erased.
	"consents": {Rows: "user_id", Columns: map[string]Column{
		"id": np(lifetime), "user_id": pseudo("kept after erasure: proof of consent"),
		"document": np(lifetime), "version": np(lifetime), "granted": np(lifetime), "source": np(lifetime),
		"ip": null(Technical, untilGone), "created_at": np(lifetime),
	}},
	"data_exports": {Rows: "user_id", Columns: map[string]Column{
		"id": gone(Content, "until the link expires"), "user_id": gone(Content, "until the link expires"),
		"state": gone(Content, "until the link expires"), "requested_at": gone(Content, "until the link expires"),
		"ready_at": gone(Content, "until the link expires"), "expires_at": gone(Content, "until the link expires"),
		"size_bytes": gone(Content, "until the link expires"), "archive": gone(Content, "until the link expires"),
	}},
	"auth_sessions": {Rows: "user_id", Columns: map[string]Column{
		"id": gone(Technical, session), "user_id": gone(Technical, session),
		"created_at": gone(Technical, session), "last_used_at": gone(Technical, session),
		"expires_at": gone(Technical, session), "revoked_at": gone(Technical, session),
		"revoke_reason": gone(Technical, session), "user_agent": gone(Technical, session),
		"ip": gone(Technical, session), "authenticated_at": gone(Technical, session),
		"passkey_id": gone(Technical, session),
	}},
	"refresh_tokens": {Rows: "session_id (auth_sessions.user_id)", Columns: map[string]Column{
		"token_hash": gone(Technical, expiry), "session_id": gone(Technical, expiry),
		"issued_at": gone(Technical, expiry), "expires_at": gone(Technical, expiry), "used_at": gone(Technical, expiry),
	}},
	"account_tokens": {Rows: "user_id", Columns: map[string]Column{
		"token_hash": gone(Identity, expiry), "user_id": gone(Identity, expiry), "purpose": gone(Identity, expiry),
		"code_hash": gone(Identity, expiry), "email": gone(Contact, expiry), "created_at": gone(Identity, expiry),
		"expires_at": gone(Identity, expiry), "used_at": gone(Identity, expiry),
	}},
	"user_totp": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Identity, lifetime), "secret_enc": gone(Identity, lifetime), "created_at": gone(Identity, lifetime),
		"enabled_at": gone(Identity, lifetime), "last_step": gone(Identity, lifetime),
	}},
	"mfa_recovery_codes": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Identity, lifetime), "code_hash": gone(Identity, lifetime),
		"created_at": gone(Identity, lifetime), "used_at": gone(Identity, lifetime),
	}},
	"mfa_tickets": {Rows: "user_id", Columns: map[string]Column{
		"ticket_hash": gone(Identity, expiry), "user_id": gone(Identity, expiry), "created_at": gone(Identity, expiry),
		"expires_at": gone(Identity, expiry), "used_at": gone(Identity, expiry),
	}},
	"auth_identities": {Rows: "user_id", Columns: map[string]Column{
		"id": gone(Identity, lifetime), "user_id": gone(Identity, lifetime), "provider": gone(Identity, lifetime),
		"issuer": gone(Identity, lifetime), "subject": gone(Identity, lifetime), "email": gone(Contact, lifetime),
		"email_verified": gone(Identity, lifetime), "created_at": gone(Identity, lifetime), "last_used_at": gone(Identity, lifetime),
	}},
	"passkeys": {Rows: "user_id", Columns: map[string]Column{
		"id": gone(Identity, lifetime), "user_id": gone(Identity, lifetime), "rp_id": gone(Identity, lifetime),
		"credential_id": gone(Identity, lifetime), "credential": gone(Identity, lifetime), "name": gone(Identity, lifetime),
		"transports": gone(Technical, lifetime), "backup_eligible": gone(Technical, lifetime),
		"clone_warning": gone(Technical, lifetime), "created_at": gone(Identity, lifetime), "last_used_at": gone(Technical, lifetime),
	}},
	"webauthn_users": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Identity, lifetime), "user_handle": gone(Identity, lifetime), "created_at": gone(Identity, lifetime),
	}},
	"webauthn_ceremonies": {Rows: "user_id (registrations); sign-in ceremonies belong to nobody yet", Columns: map[string]Column{
		"id": gone(Identity, expiry), "kind": gone(Identity, expiry), "user_id": gone(Identity, expiry),
		"session": gone(Identity, expiry), "created_at": gone(Identity, expiry), "expires_at": gone(Identity, expiry),
	}},
	"oidc_token_uses": {Rows: "nobody's: hashes of accepted ID tokens", Columns: map[string]Column{
		"token_hash": np(expiry), "expires_at": np(expiry),
	}},
	"calendar_feeds": {Rows: "user_id", Columns: map[string]Column{
		"id": gone(Technical, lifetime), "user_id": gone(Technical, lifetime), "token_hash": gone(Technical, lifetime),
		"created_at": gone(Technical, lifetime), "revoked_at": gone(Technical, lifetime),
	}},

	// Profiles, skills, matching and search.
	"profiles": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Identity, lifetime), "bio": gone(Content, lifetime), "avatar_url": gone(Identity, lifetime),
		"languages": gone(Identity, lifetime), "time_zone": gone(Location, lifetime), "city": gone(Location, lifetime),
		"country": gone(Location, lifetime), "latitude": gone(Location, lifetime), "longitude": gone(Location, lifetime),
		"mode": gone(Identity, lifetime), "visibility": gone(Identity, lifetime), "updated_at": gone(Identity, lifetime),
	}},
	"availability_slots": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Identity, lifetime), "weekday": gone(Identity, lifetime),
		"start_minute": gone(Identity, lifetime), "end_minute": gone(Identity, lifetime),
	}},
	"member_skills": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Identity, lifetime), "skill_id": gone(Identity, lifetime), "kind": gone(Identity, lifetime),
		"level": gone(Identity, lifetime), "years_of_practice": gone(Identity, lifetime), "description": gone(Content, lifetime),
		"created_at": gone(Identity, lifetime), "updated_at": gone(Identity, lifetime),
	}},
	"blocks": {Rows: "blocker_id or blocked_id", Columns: map[string]Column{
		"blocker_id": gone(Identity, lifetime), "blocked_id": gone(Identity, lifetime), "created_at": gone(Identity, lifetime),
	}},
	"match_profiles": {Rows: "user_id (derived from users, profiles, availability_slots by triggers)", Columns: map[string]Column{
		"user_id":    pseudo(derived),
		"created_at": np(derived),
		"active":     np(derived),
		"hidden":     np(derived),
		// Reset by the profile trigger when the profile row is deleted.
		"languages": anon(Identity, derived, "{} (profile deleted)"),
		"time_zone": anon(Location, derived, "'UTC' (profile deleted)"),
		"latitude":  null(Location, derived), "longitude": null(Location, derived),
		"mode":  anon(Identity, derived, "'BOTH' (profile deleted)"),
		"slots": anon(Identity, derived, "{} (slots deleted)"),
	}},
	"member_search": {Rows: "user_id (search index, PostgreSQL backend)", Columns: map[string]Column{
		"user_id": gone(Identity, derived), "name_text": gone(Identity, derived), "keys": gone(Identity, derived),
		"languages": gone(Identity, derived), "mode": gone(Identity, derived), "offer_rank": gone(Identity, derived),
		"want_rank": gone(Identity, derived), "offer_skills": gone(Identity, derived), "offer_skill_ranks": gone(Identity, derived),
		"want_skills": gone(Identity, derived), "want_skill_ranks": gone(Identity, derived),
		"offer_categories": gone(Identity, derived), "offer_category_ranks": gone(Identity, derived),
		"want_categories": gone(Identity, derived), "want_category_ranks": gone(Identity, derived),
		"geo": gone(Location, derived), "time_zone": gone(Location, derived), "indexed_at": gone(Identity, derived),
	}},
	"member_search_zones": {Rows: "nobody's: the time zones in use", Columns: map[string]Column{
		"time_zone": np(derived),
	}},
	"search_reindex_requests": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Identity, "until the reindex job runs"), "requested_at": gone(Identity, "until the reindex job runs"),
	}},
	"skill_categories": {Rows: "nobody's: taxonomy", Columns: map[string]Column{
		"id": np(permanent), "slug": np(permanent), "name_en": np(permanent), "name_fr": np(permanent), "position": np(permanent),
	}},
	"skills": {Rows: "nobody's: taxonomy (proposed_by names who proposed one)", Columns: map[string]Column{
		"id": np(permanent), "slug": np(permanent), "category_id": np(permanent), "name_en": np(permanent),
		"name_fr": np(permanent), "synonyms": np(permanent), "status": np(permanent), "merged_into": np(permanent),
		"proposed_by": null(Identity, untilGone), "created_at": np(permanent), "search_text": np(permanent),
	}},
	"skill_relations": {Rows: "nobody's: taxonomy", Columns: map[string]Column{
		"skill_id": np(permanent), "related_id": np(permanent),
	}},
	"taxonomy_version": {Rows: "nobody's: one row counting changes to the taxonomy", Columns: map[string]Column{
		"singleton": np(permanent), "version": np(permanent),
	}},

	// Chat.
	"conversations": {Rows: "participants (conversation_participants); direct_low/high for one-to-one", Columns: map[string]Column{
		"id": np(lifetime), "kind": np(lifetime),
		// A group's name belongs to the group, not to whoever typed it.
		"title":       np("conversation lifetime"),
		"direct_low":  pseudo("conversation lifetime: the other side keeps the conversation"),
		"direct_high": pseudo("conversation lifetime: the other side keeps the conversation"),
		"created_by":  null(Identity, untilGone),
		"created_at":  np(lifetime), "last_seq": np(lifetime), "last_message_at": np(lifetime), "activity_at": np(lifetime),
	}},
	"conversation_participants": {Rows: "user_id", Columns: map[string]Column{
		"conversation_id": np("conversation lifetime"),
		"user_id":         pseudo("conversation lifetime: the others see a deleted member"),
		"role":            np("conversation lifetime"), "joined_at": np("conversation lifetime"),
		"left_at":       anon(Identity, "conversation lifetime", "the erasure time when still null"),
		"last_read_seq": np("conversation lifetime"), "last_read_at": null(Technical, untilGone),
		"muted": np("conversation lifetime"), "muted_until": null(Identity, untilGone),
	}},
	"messages": {Rows: "sender_id", Columns: map[string]Column{
		"id": np("conversation lifetime"), "conversation_id": np("conversation lifetime"), "seq": np("conversation lifetime"),
		"sender_id":      pseudo("conversation lifetime: a tombstone from a deleted member"),
		"client_id":      anon(Technical, untilGone, "the message id"),
		"body":           anon(Content, untilGone, "'' (tombstone)"),
		"attachment_url": null(Content, untilGone),
		"created_at":     np("conversation lifetime"),
		"edited_at":      null(Content, untilGone),
		"deleted_at":     anon(Content, untilGone, "the erasure time when still null (tombstone)"),
		// A moderation state of the message (hidden pending review), not the sender's content;
		// the case keeps the evidence.
		"hidden_at": np("conversation lifetime"),
	}},
	"notifications": {Rows: "user_id; payloads hold ids and states only (others' notifications may hold the member's id)", Columns: map[string]Column{
		"id": gone(Content, "read: 90 days"), "user_id": gone(Content, "read: 90 days"), "type": gone(Content, "read: 90 days"),
		// Ids and states (NewMessagePayload, PaymentPayload...): in another member's notification
		// the erased member's id stays as a pseudonym; their own rows are deleted.
		"payload":   {Class: Pseudonymous, Retention: "read: 90 days", Erasure: DeleteRow},
		"group_key": gone(Content, "read: 90 days"),
		"read_at":   gone(Content, "read: 90 days"), "created_at": gone(Content, "read: 90 days"),
	}},
	"notification_preferences": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Identity, lifetime), "type": gone(Identity, lifetime), "in_app": gone(Identity, lifetime),
		"email": gone(Identity, lifetime), "updated_at": gone(Identity, lifetime),
		"push": gone(Identity, lifetime),
		// Digests (issue 17 item 4): the member's choice to get this type in their digest.
		"email_digest": gone(Identity, lifetime),
	}},
	// Email suppression (issue 17): the member's address that refused a notification email for
	// good, until they change it; an erased member's row goes with the account.
	"email_suppressions": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Contact, emailSuppressed), "address": gone(Contact, emailSuppressed),
		"smtp_code": gone(Technical, emailSuppressed), "enhanced_code": gone(Technical, emailSuppressed),
		"suppressed_at": gone(Technical, emailSuppressed),
	}},
	// Push (issue 17): a token reaches one app install of the member, so it is personal and, as
	// anyone holding it may push to that install through Expo, left out of exports.
	"push_devices": {Rows: "user_id", Columns: map[string]Column{
		"id": gone(Technical, pushDevice), "user_id": gone(Technical, pushDevice), "token": gone(Technical, pushDevice),
		"platform": gone(Technical, pushDevice), "locale": gone(Technical, pushDevice), "lang": gone(Technical, pushDevice),
		"created_at": gone(Technical, pushDevice), "last_registered_at": gone(Technical, pushDevice),
	}},
	"push_outbox": {Rows: "user_id (and the member's device)", Columns: map[string]Column{
		"id": gone(Content, pushWaiting), "device_id": gone(Content, pushWaiting), "user_id": gone(Content, pushWaiting),
		"notification_id": gone(Content, pushWaiting), "message": gone(Content, pushWaiting),
		"created_at": gone(Content, pushWaiting), "claimed_until": gone(Content, pushWaiting), "attempts": gone(Content, pushWaiting),
		// When the member's quiet hours end: it says when they sleep, so it goes with the row.
		"not_before": gone(Content, pushWaiting),
	}},
	"push_tickets": {Rows: "device_id (a device of the member)", Columns: map[string]Column{
		"id": gone(Technical, pushTicket), "device_id": gone(Technical, pushTicket),
		"created_at": gone(Technical, pushTicket), "check_after": gone(Technical, pushTicket),
	}},
	// Quiet hours (issue 17 item 5): when the member does not want to be disturbed, i.e. roughly
	// when they sleep; a setting of theirs, exported and deleted with the account.
	"notification_quiet_hours": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Identity, lifetime), "enabled": gone(Identity, lifetime),
		"start_minute": gone(Identity, lifetime), "end_minute": gone(Identity, lifetime),
		"updated_at": gone(Identity, lifetime),
	}},
	// Digest schedule (issue 17 item 4): when the member wants their digest (a habit of theirs,
	// like quiet hours); a setting, exported and deleted with the account.
	"notification_digest_schedules": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Identity, lifetime), "frequency": gone(Identity, lifetime), "weekday": gone(Identity, lifetime),
		"minute": gone(Identity, lifetime), "next_digest_at": gone(Identity, lifetime),
		"last_digest_at": gone(Identity, lifetime), "updated_at": gone(Identity, lifetime),
	}},

	// Skill sessions and reviews.
	"skill_sessions": {Rows: "teacher_id, learner_id", Columns: map[string]Column{
		"id": np(legal10y), "skill_id": np(legal10y),
		"teacher_id": pseudo(legal10y), "learner_id": pseudo(legal10y), "created_by": pseudo(legal10y),
		"proposer_id": pseudo(legal10y), "cancelled_by": pseudo(legal10y), "problem_reported_by": pseudo(legal10y),
		"no_show_user_id": pseudo(legal10y), "no_show_reported_by": pseudo(legal10y),
		"starts_at": np(legal10y), "duration_minutes": np(legal10y), "ends_at": np(legal10y), "mode": np(legal10y),
		"link":          anon(Location, untilGone, "'' when set (the constraint wants one for ONLINE)"),
		"place":         anon(Location, untilGone, "'' when set (the constraint wants one for IN_PERSON)"),
		"note":          anon(Content, untilGone, "''"),
		"cancel_reason": anon(Content, untilGone, "'' when set"),
		"problem_note":  anon(Content, untilGone, "'' when set"),
		"state":         np(legal10y), "version": np(legal10y), "booking_seq": np(legal10y),
		"cancelled_at": np(legal10y), "late_cancellation": np(legal10y),
		"teacher_confirmed_at": np(legal10y), "learner_confirmed_at": np(legal10y), "completed_at": np(legal10y),
		"auto_completed": np(legal10y), "problem_reported_at": np(legal10y), "no_show_reported_at": np(legal10y),
		"price_amount": np(legal10y), "price_currency": np(legal10y), "created_at": np(legal10y), "updated_at": np(legal10y),
	}},
	"session_bookings": {Rows: "user_id", Columns: map[string]Column{
		"session_id": np(legal10y), "user_id": pseudo(legal10y), "during": np(legal10y),
	}},
	"session_proposals": {Rows: "proposer_id", Columns: map[string]Column{
		"id": np(legal10y), "session_id": np(legal10y), "proposer_id": pseudo(legal10y),
		"starts_at": np(legal10y), "duration_minutes": np(legal10y), "created_at": np(legal10y),
	}},
	"reviews": {Rows: "reviewer_id (written), reviewee_id (received)", Columns: map[string]Column{
		"id": np(lifetime), "session_id": np(lifetime),
		"reviewer_id": pseudo("kept: an anonymous rating still counts"),
		"reviewee_id": pseudo("kept: the rating counts in the reviewee's average"),
		"rating":      np(lifetime),
		// Written and received: a comment about an erased member is personal data about them.
		"comment":    anon(Content, untilGone, "''"),
		"tags":       np(lifetime),
		"created_at": np(lifetime), "visible_at": np(lifetime),
		// When a moderator removed it (a CONTENT_REMOVAL sanction).
		"hidden_at": np(lifetime),
	}},
	"review_reports": {Rows: "reporter_id", Columns: map[string]Column{
		"id": np(lifetime), "review_id": np(lifetime), "reporter_id": pseudo(lifetime), "reason": np(lifetime),
		"note": anon(Content, untilGone, "''"), "status": np(lifetime), "created_at": np(lifetime),
	}},
	// Moderation (migration 0021). A reporter's erasure keeps their reports pseudonymous (the id
	// stays as the pseudonym, the account row is anonymised) and erases the words they wrote and
	// the snapshots they took (what they saw was often addressed to them). The reported member's
	// erasure erases the snapshots of their content; the decision, its statement
	// of reasons and staff notes stay with the case (staff's reasoning, as no_show_disputes'
	// decision_note). Keeping snapshots through erasure as evidence (a legal hold, GDPR art.
	// 17(3)(e)) would need the register to allow it; not decided here.
	"moderation_cases": {Rows: "subject_id (reported), assignee_id and decided_by (staff)", Columns: map[string]Column{
		"id": np(moderationEvidence), "target_type": np(moderationEvidence), "target_id": pseudo(moderationEvidence),
		"subject_id": pseudo(moderationEvidence), "state": np(moderationEvidence), "urgent": np(moderationEvidence),
		"reporter_count": np(moderationEvidence), "assignee_id": pseudo(moderationEvidence),
		"decision": np(moderationEvidence),
		// Staff's reasons addressed to the reported member; the record of the decision.
		"statement_of_reasons": np(moderationEvidence),
		"decided_by":           pseudo(moderationEvidence), "decided_at": np(moderationEvidence),
		"created_at": np(moderationEvidence), "updated_at": np(moderationEvidence),
	}},
	"moderation_reports": {Rows: "reporter_id", Columns: map[string]Column{
		"id": np(moderationEvidence), "case_id": np(moderationEvidence),
		"reporter_id": pseudo("kept pseudonymous: the report still counts as evidence"),
		"category":    np(moderationEvidence),
		"text":        anon(Content, untilGone, "'' (the reporter's own words go with them)"),
		// The reported content as it was: erased with its author (the case's subject_id), with the
		// reporter (what they saw was often addressed to them) and with a review's reviewee.
		"snapshot":         anon(Content, untilGone, `{"erased": true} when the case's subject, the reporter or a review's reviewee is erased`),
		"review_report_id": np(moderationEvidence), "created_at": np(moderationEvidence),
	}},
	"moderation_notes": {Rows: "author_id (staff)", Columns: map[string]Column{
		"id": np(moderationEvidence), "case_id": np(moderationEvidence), "author_id": pseudo(moderationEvidence),
		// Staff's reasoning, kept with the case.
		"body":       np(moderationEvidence),
		"created_at": np(moderationEvidence),
	}},
	// Sanctions and appeals (migration 0022): the measure and its statement of reasons are the
	// record of a moderation decision, kept with the member pseudonymous as the cases are; the
	// member's own words (appeal text, their messages in the thread) go with them.
	"moderation_sanctions": {Rows: "user_id (sanctioned), imposed_by and lifted_by (staff)", Columns: map[string]Column{
		"id": np(sanctionRecord), "user_id": pseudo(sanctionRecord), "case_id": np(sanctionRecord),
		"kind": np(sanctionRecord), "content_type": np(sanctionRecord), "content_id": pseudo(sanctionRecord),
		// Staff's reasons addressed to the member, as a case's statement of reasons.
		"statement_of_reasons": np(sanctionRecord),
		"imposed_by":           pseudo(sanctionRecord), "starts_at": np(sanctionRecord), "ends_at": np(sanctionRecord),
		"lifted_at": np(sanctionRecord), "lifted_by": pseudo(sanctionRecord), "lift_reason": np(sanctionRecord),
		"created_at": np(sanctionRecord),
	}},
	"moderation_appeals": {Rows: "user_id (appellant), decided_by (staff)", Columns: map[string]Column{
		"id": np(sanctionRecord), "sanction_id": np(sanctionRecord), "user_id": pseudo(sanctionRecord),
		"text":  anon(Content, untilGone, "'' (the appellant's own words go with them)"),
		"state": np(sanctionRecord), "decided_by": pseudo(sanctionRecord),
		"decision_reasons": np(sanctionRecord), "decided_at": np(sanctionRecord), "created_at": np(sanctionRecord),
	}},
	"moderation_appeal_messages": {Rows: "author_id (appellant or staff)", Columns: map[string]Column{
		"id": np(sanctionRecord), "appeal_id": np(sanctionRecord), "author_id": pseudo(sanctionRecord),
		// The erased member's own messages become ''; staff's stay with the appeal.
		"body":       anon(Content, untilGone, "'' for the messages the erased member wrote"),
		"created_at": np(sanctionRecord),
	}},
	"member_ratings": {Rows: "user_id (aggregate of received reviews)", Columns: map[string]Column{
		"user_id": pseudo(derived), "count": np(derived), "sum": np(derived), "mean": np(derived),
		"bayesian": np(derived), "updated_at": np(derived),
	}},
	"no_show_disputes": {Rows: "absent_id, reported_by", Columns: map[string]Column{
		"session_id": np(legal10y), "payment_id": np(legal10y), "absent_id": pseudo(legal10y), "reported_by": pseudo(legal10y),
		"status": np(legal10y), "decides_at": np(legal10y),
		"contest_note": anon(Content, untilGone, "'[erased]' when set (the constraint wants one once contested)"),
		"contested_at": np(legal10y), "decided_by": pseudo(legal10y),
		// Staff's reasoning, kept with the decision for the legal period.
		"decision_note": np(legal10y), "decided_at": np(legal10y), "created_at": np(legal10y),
	}},

	// Credits.
	"credit_accounts": {Rows: "user_id", Columns: map[string]Column{
		"id": np(legal10y), "user_id": pseudo(legal10y), "system_code": np(legal10y), "balance": np(legal10y), "created_at": np(legal10y),
	}},
	"credit_entries": {Rows: "account_id (credit_accounts.user_id)", Columns: map[string]Column{
		"id": np(legal10y), "transaction_id": np(legal10y), "account_id": pseudo(legal10y), "amount": np(legal10y),
		"balance_after": np(legal10y), "created_at": np(legal10y),
	}},
	"credit_transactions": {Rows: "through credit_entries", Columns: map[string]Column{
		"id": np(legal10y), "kind": np(legal10y), "session_id": np(legal10y),
		// System text ("session <id> completed", staff adjustment reasons), never a member's name.
		"memo": np(legal10y), "created_at": np(legal10y),
	}},

	// Payments.
	"mentor_accounts": {Rows: "user_id", Columns: map[string]Column{
		// The connected account at Stripe holds the mentor's identity; the erasure asks Stripe to
		// delete it (a job), then the row goes.
		"user_id": gone(Financial, lifetime), "stripe_account_id": gone(Financial, lifetime),
		"charges_enabled": gone(Financial, lifetime), "payouts_enabled": gone(Financial, lifetime),
		"details_submitted": gone(Financial, lifetime), "updated_at": gone(Financial, lifetime),
		"last_event_created": gone(Financial, lifetime),
	}},
	"mentor_prices": {Rows: "user_id", Columns: map[string]Column{
		"user_id": gone(Financial, lifetime), "skill_id": gone(Financial, lifetime), "amount_minor": gone(Financial, lifetime),
		"currency": gone(Financial, lifetime), "updated_at": gone(Financial, lifetime),
	}},
	"payments": {Rows: "payer_id, payee_id", Columns: map[string]Column{
		"id": np(legal10y), "session_id": np(legal10y), "payer_id": pseudo(legal10y), "payee_id": pseudo(legal10y),
		"amount_minor": np(legal10y), "fee_minor": np(legal10y), "currency": np(legal10y), "state": np(legal10y),
		// Stripe's id of the charge: a pseudonymous reference the accounting must keep.
		"stripe_payment_intent_id": pseudo(legal10y),
		"client_secret":            null(Financial, "until the payment is settled"),
		"captured_minor":           np(legal10y), "refunded_minor": np(legal10y), "transferred_minor": np(legal10y),
		"failure_reason": np(legal10y), "created_at": np(legal10y), "updated_at": np(legal10y),
		"stripe_dispute_id": pseudo(legal10y), "dispute_status": np(legal10y), "disputed_amount_minor": np(legal10y),
		"disputed_at": np(legal10y), "dispute_event_created": np(legal10y),
	}},
	"payment_steps": {Rows: "payment_id", Columns: map[string]Column{
		"payment_id": np(legal10y), "step": np(legal10y), "idempotency_key": np(legal10y), "status": np(legal10y),
		"attempts": np(legal10y), "attempted_at": np(legal10y), "done_at": np(legal10y),
	}},
	"refunds": {Rows: "payment_id; created_by is staff", Columns: map[string]Column{
		"id": np(legal10y), "payment_id": np(legal10y), "amount_minor": np(legal10y),
		// Staff's reason, kept with the refund for the legal period.
		"reason": np(legal10y), "stripe_refund_id": pseudo(legal10y), "created_by": pseudo(legal10y), "created_at": np(legal10y),
		// Where the refund stands (issue 20: refunds reserve before they call Stripe); the key
		// is derived from the payment id and the step, Stripe's refusal is its own wording.
		"status": np(legal10y), "idempotency_key": np(legal10y), "failure_reason": np(legal10y), "settled_at": np(legal10y),
	}},
	"stripe_events": {Rows: "nobody's: ids of applied webhook events (no payload stored)", Columns: map[string]Column{
		"event_id": np("90 days"), "type": np("90 days"), "received_at": np("90 days"), "processed_at": np("90 days"),
	}},

	// Product KPIs (package kpis, docs/kpis.md).
	"nps_responses": {Rows: "user_id", Columns: map[string]Column{
		"id": np(npsAnswers), "user_id": pseudo("kept pseudonymous after erasure: the score still counts in past NPS"),
		"score": np(npsAnswers), "created_at": np(npsAnswers),
		// The member's words about the product; staff read them.
		"comment": null(Content, npsAnswers+", or until erased"),
	}},
	// Aggregates per sign-up week (counts, no member ids), rewritten whole by each refresh.
	"kpi_cohorts": {Rows: "nobody's: counts per sign-up week", Columns: map[string]Column{
		"week_start": np(derived), "members": np(derived), "activated": np(derived), "retained_w4": np(derived),
		"nps_responses": np(derived), "promoters": np(derived), "detractors": np(derived), "computed_at": np(derived),
	}},
	"kpi_refreshes": {Rows: "nobody's: when the KPI summary was last computed", Columns: map[string]Column{
		"singleton": np(derived), "computed_at": np(derived),
	}},

	// Staff and operations.
	"admin_audit_log": {Rows: "actor_id (staff); target names the object acted on", Columns: map[string]Column{
		"id": np(legal10y), "actor_id": pseudo(legal10y),
		// "user:<id>" and the like: ids only.
		"target": pseudo(legal10y),
		// What changed (roles, states, amounts): ids and values, never names or emails.
		"details": pseudo(legal10y), "action": np(legal10y), "created_at": np(legal10y),
	}},
	"schema_migrations": {Rows: "nobody's: applied migrations", Columns: map[string]Column{
		"name": np(permanent), "applied_at": np(permanent),
	}},
	"erasures": {Rows: "user_id: the erasure ledger, ids and times only", Columns: map[string]Column{
		"user_id":   pseudo("permanent: replayed after a backup restore"),
		"erased_at": np("permanent: replayed after a backup restore"),
	}},
}

// riverTables documents River's tables (its migrations, not ours).
var riverTables = map[string]string{
	"river_job": "job queue; args hold ids only (pseudonymous); finalised jobs deleted by River after 24 h (completed, " +
		"cancelled) or 7 days (discarded); erasure cancels the member's pending jobs",
	"river_leader":       "not personal: leader election",
	"river_migration":    "not personal: River's schema version",
	"river_notification": "not personal: LISTEN/NOTIFY bookkeeping",
	"river_queue":        "not personal: queue settings",
	"river_client":       "not personal: client registry",
	"river_client_queue": "not personal: client registry",
}
