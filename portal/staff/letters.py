"""Decision letters as staff see them (HTML and PDF)."""
