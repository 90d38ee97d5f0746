"""The product catalog: products, categories, photos and CSV import/export (no views)."""
