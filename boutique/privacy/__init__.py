"""Personal data (RGPD): a customer's export, the deletion of an account, and the retention purge.

Routes live with their pages: the customer's in account/privacy_routes.py, staff's in
staff/customers.py; the rules are here (services.py).
"""
