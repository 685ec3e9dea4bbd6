"""The analysts' report (`callcenter report`, GET /api/reports): its figures, and their HTML and CSV."""
