-- The send rate every sender shares (see src/store/pace.rs): the earliest
-- start time, in Unix microseconds, not yet handed out to a sender.
CREATE TABLE send_pace (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    next_start  INTEGER NOT NULL
);
INSERT INTO send_pace (id, next_start) VALUES (1, 0);

-- Starts handed out per Unix minute, for the hourly and daily caps. A block
-- of starts counts in the minute of its last start, so it stays in every
-- window at least as long as its starts do.
CREATE TABLE send_starts (
    minute   INTEGER PRIMARY KEY,
    started  INTEGER NOT NULL
);
