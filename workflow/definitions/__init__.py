"""Definitions: the YAML files (agencies, calendar, directives), read strictly into
specs and stored in the database; the specs are what every other part works from."""
