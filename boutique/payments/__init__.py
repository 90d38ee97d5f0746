"""Payments: invoices and credit notes for approved restaurants and AMAPs."""
