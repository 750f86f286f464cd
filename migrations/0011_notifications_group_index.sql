-- The unread notification of a group (one per member and group key, see NotifyOnce) is looked
-- up by group for a whole conversation at every chat message: which participants already hold
-- one (store.PrepareSend). With user_id first, that lookup had to walk the whole index; with
-- group_key first it is a range of at most one row per participant. Uniqueness, and with it
-- ON CONFLICT (user_id, group_key), is unchanged: inference ignores column order.
CREATE UNIQUE INDEX notifications_unread_group_member ON notifications (group_key, user_id)
    WHERE read_at IS NULL AND group_key IS NOT NULL;
DROP INDEX notifications_unread_group_key;
