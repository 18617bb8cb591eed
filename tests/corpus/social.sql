-- a small social network
CREATE TABLE profiles (id INTEGER PRIMARY KEY, handle TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (handle NOT GLOB '*[^A-Za-z0-9_]*'),
                       bio TEXT, followers INTEGER NOT NULL DEFAULT 0, following INTEGER NOT NULL DEFAULT 0);
CREATE TABLE follows (follower INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
                      followee INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE, since DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                      PRIMARY KEY (follower, followee), CHECK (follower <> followee)) WITHOUT ROWID;
CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
                    body TEXT NOT NULL CHECK (length(body) <= 500), reply_to INTEGER REFERENCES posts (id) ON DELETE SET NULL,
                    at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE likes (post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE, profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
                    PRIMARY KEY (post_id, profile_id)) WITHOUT ROWID;
CREATE INDEX follows_followee ON follows (followee);
CREATE INDEX posts_timeline ON posts (author, at DESC);
CREATE TRIGGER follows_count AFTER INSERT ON follows BEGIN
  UPDATE profiles SET followers = followers + 1 WHERE id = NEW.followee;
  UPDATE profiles SET following = following + 1 WHERE id = NEW.follower;
END;
CREATE TRIGGER unfollow_count AFTER DELETE ON follows BEGIN
  UPDATE profiles SET followers = followers - 1 WHERE id = OLD.followee;
  UPDATE profiles SET following = following - 1 WHERE id = OLD.follower;
END;
