"""`nhiemvu import`: directive documents (.txt, .md, .docx, PDF) to draft definitions."""

REVIEW = "REVIEW:"  # the mark of every guess in a draft, for a person to check
