"""Sales weeks and their offers: what the storefront shows, how staff prepare a week."""
