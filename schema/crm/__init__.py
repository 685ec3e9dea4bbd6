"""The CRM's storage: customers, phone numbers, tickets, notes, screening, the API's users."""
