"""What the end-to-end, pipeline and benchmark suites share: one compose driver,
one way to wait, one image maker, the API calls they make as users."""
