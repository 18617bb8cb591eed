-- a recipe collection
CREATE TABLE recipes (id INTEGER PRIMARY KEY, title TEXT NOT NULL COLLATE NOCASE, servings INTEGER NOT NULL DEFAULT 2 CHECK (servings > 0),
                      prep_minutes INTEGER, cook_minutes INTEGER,
                      total_minutes INTEGER GENERATED ALWAYS AS (coalesce(prep_minutes, 0) + coalesce(cook_minutes, 0)) VIRTUAL,
                      source_url TEXT, rating REAL CHECK (rating BETWEEN 0 AND 5));
CREATE TABLE ingredients (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE recipe_ingredients (recipe_id INTEGER NOT NULL REFERENCES recipes (id) ON DELETE CASCADE,
                                 ingredient_id INTEGER NOT NULL REFERENCES ingredients (id), amount REAL, unit TEXT,
                                 note TEXT, PRIMARY KEY (recipe_id, ingredient_id));
CREATE TABLE steps (recipe_id INTEGER NOT NULL REFERENCES recipes (id) ON DELETE CASCADE, n INTEGER NOT NULL CHECK (n > 0),
                    text TEXT NOT NULL, PRIMARY KEY (recipe_id, n)) WITHOUT ROWID;
CREATE INDEX recipes_quick ON recipes (total_minutes) WHERE total_minutes <= 30;
