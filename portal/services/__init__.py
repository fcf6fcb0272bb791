"""The domain: plain functions over a session, no request or response objects."""
