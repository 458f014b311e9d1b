"""Compiled reports and exports of where a directive stands: XLSX, DOCX, CSV/JSON, charts."""
