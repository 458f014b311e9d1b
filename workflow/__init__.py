"""The engine of nhiemvu, one folder per concept, lowest first: storage, definitions,
access, engine, then schedule and views. `errors`, `clock` and `dates` are used by all."""
