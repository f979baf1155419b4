"""Edge schemas shared by the API and the workers (stored documents validated on the way in and out)."""
