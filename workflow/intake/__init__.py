"""Directives brought in from the browser: import a document into a draft, review and
edit it, publish it, amend it later. Every path ends in the loader that `nhiemvu load`
uses, so the browser and the YAML files never disagree."""
