"""User accounts: an email-login user model and JWT authentication endpoints."""
