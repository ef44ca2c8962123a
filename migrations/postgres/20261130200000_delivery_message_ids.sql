-- A bounce report or complaint quotes the Message-ID of the mail it is
-- about; `Store::delivery_by_message_id` finds the delivery by it
-- (docs/bounces.md). Message-IDs are MACs of issue and subscriber
-- (src/mail/message_id.rs), recorded when a delivery is sent.
CREATE INDEX deliveries_by_message_id ON deliveries (message_id);
