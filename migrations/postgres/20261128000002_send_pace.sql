-- The send rate every sender shares (see src/store/pace.rs): the earliest
-- start time, in Unix microseconds of the database's clock, not yet handed
-- out to a sender.
CREATE TABLE send_pace (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    next_start  BIGINT NOT NULL
);
INSERT INTO send_pace (id, next_start) VALUES (1, 0);

-- Starts handed out per Unix minute, for the hourly and daily caps.
CREATE TABLE send_starts (
    minute   BIGINT PRIMARY KEY,
    started  BIGINT NOT NULL
);
