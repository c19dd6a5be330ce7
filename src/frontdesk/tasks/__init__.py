"""Tasks: to-dos for members, from workflows, conversations and the API (PRODUCT.md R3)."""
