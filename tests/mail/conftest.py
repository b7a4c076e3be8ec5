"""The SendGrid stand-in, for every mail test that talks to SendGrid's API."""

from tests.support.sendgrid import sendgrid_api

__all__ = ["sendgrid_api"]
