-- When a throttle counter's latest slot was reserved (server/src/limiter.rs): attempts still being
-- checked hold slots, and a slot a killed process never gave back stops counting a lease after.
ALTER TABLE throttle_counters ADD COLUMN pending_at BIGINT NOT NULL DEFAULT 0;
