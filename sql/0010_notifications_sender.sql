-- 0010: the Alimtalk sender's state on the outbox rows.
-- resent_sms: Kakao could not deliver and the SMS/LMS fallback did.
-- provider_result_code / provider_result: the provider's answer to the last
-- attempt (Kakao result code and a short text), shown to managers.
-- resends: manual resends by a manager; each one is a new message, so its
-- idempotency key is '<id>-r<resends>' instead of the row id.
-- notifications_due_idx: what the sender claims (FOR UPDATE SKIP LOCKED).
ALTER TABLE notifications DROP CONSTRAINT notifications_status;
ALTER TABLE notifications ADD CONSTRAINT notifications_status
    CHECK (status IN ('pending', 'sending', 'sent', 'resent_sms', 'failed', 'dead'));
ALTER TABLE notifications DROP CONSTRAINT notifications_sent_has_sent_at;
ALTER TABLE notifications ADD CONSTRAINT notifications_sent_has_sent_at
    CHECK (status NOT IN ('sent', 'resent_sms') OR sent_at IS NOT NULL);
ALTER TABLE notifications ADD COLUMN provider_result_code integer NULL;
ALTER TABLE notifications ADD COLUMN provider_result text NULL;
ALTER TABLE notifications ADD CONSTRAINT notifications_provider_result_len
    CHECK (provider_result IS NULL OR char_length(provider_result) <= 500);
ALTER TABLE notifications ADD CONSTRAINT notifications_last_error_len
    CHECK (last_error IS NULL OR char_length(last_error) <= 1000);
ALTER TABLE notifications ADD COLUMN resends integer NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD CONSTRAINT notifications_resends CHECK (resends >= 0);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at, id)
    WHERE status IN ('pending', 'sending');
