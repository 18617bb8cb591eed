-- music
CREATE TABLE artists ("ArtistId" INTEGER PRIMARY KEY AUTOINCREMENT, "Name" NVARCHAR(120));
CREATE TABLE albums ("AlbumId" INTEGER PRIMARY KEY, "Title" NVARCHAR(160) NOT NULL,
                     "ArtistId" INTEGER NOT NULL REFERENCES artists ("ArtistId"));
CREATE TABLE tracks ("TrackId" INTEGER PRIMARY KEY, "Name" NVARCHAR(200) NOT NULL,
                     "AlbumId" INTEGER REFERENCES albums ("AlbumId"), "Milliseconds" INTEGER NOT NULL,
                     "UnitPrice" NUMERIC(10, 2) NOT NULL);
CREATE INDEX "IFK_TrackAlbumId" ON tracks ("AlbumId");
