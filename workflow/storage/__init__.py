"""Storage: the engine, the tables, their column types, the migrations, and the
attachment files kept beside the database."""
