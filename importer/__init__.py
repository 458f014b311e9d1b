"""`nhiemvu import`: directive documents (.txt, .md, .docx, PDF) to draft definitions."""
