"""A province directive carried out by its communes: incoming work, the commune plan that
implements it, and the commune's report composed from its own bodies' reports."""
